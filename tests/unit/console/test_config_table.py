"""The configuration table: every key the code reads is in it, and the environment speaks `CONSOLE_` only."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from webapp import create_app
from webapp.config import build_config, env_name, from_environment, from_pyfile
from webapp.config_table import DEFAULTS, DERIVED, SETTINGS

ROOT = Path(__file__).parents[3]
# `config["KEY"]` (read, or written when assigned), `config.get("KEY"` and `overrides.get("KEY"` in Python;
# `config.KEY` in templates.
_PY_USE = re.compile(r"""(?:config|overrides)(?:\[|\.get\()\s*["']([A-Z][A-Z0-9_]+)["']\s*(\]\s*=(?!=))?""")
_TEMPLATE_USE = re.compile(r"""\bconfig(?:\.([A-Z][A-Z0-9_]+)|\[["']([A-Z][A-Z0-9_]+)["']\])""")


def _console_sources() -> list[Path]:
    """The console's code (the sandbox has a configuration of its own)."""
    sandbox = ROOT / "webapp" / "sandbox"
    files = [path for path in (ROOT / "webapp").rglob("*.py") if sandbox not in path.parents]
    return [*files, ROOT / "wsgi.py", ROOT / "gunicorn.conf.py"]


def _keys_read_and_written() -> tuple[set[str], dict[str, set[str]]]:
    """Keys read anywhere, and the keys each file assigns."""
    read: set[str] = set()
    written: dict[str, set[str]] = {}
    for path in _console_sources():
        for match in _PY_USE.finditer(path.read_text()):
            if match.group(2):
                written.setdefault(path.relative_to(ROOT).as_posix(), set()).add(match.group(1))
            else:
                read.add(match.group(1))
    for path in (ROOT / "templates").rglob("*.html"):
        for match in _TEMPLATE_USE.finditer(path.read_text()):
            read.add(match.group(1) or match.group(2))
    return read, written


def test_every_key_the_code_reads_is_in_the_table() -> None:
    read, written = _keys_read_and_written()
    assert {"CMS_BASE_URL", "SECRET_KEY", "INSTANCE_PATH", "SANDBOX_PUBLIC_URL"} <= read  # the scan works
    # What webapp/config.py computes is a setting or a derived Flask setting, never an unlisted key.
    assert written.pop("webapp/config.py") - set(SETTINGS) - DERIVED == set()
    # An extension's own objects (Flask-Session's client, Babel's folders) are filled where it is set up;
    # every other key the code reads comes from the table, with its default.
    filled = set().union(*written.values())
    missing = sorted(read - set(SETTINGS) - DERIVED - filled)
    assert missing == [], f"config keys read but not in webapp/config_table.py SETTINGS: {missing}"
    assert not set(SETTINGS) & DERIVED
    assert {key: setting.default for key, setting in SETTINGS.items()} == DEFAULTS
    assert all(setting.meaning for setting in SETTINGS.values())


def test_every_key_is_documented_in_the_example_instance_file() -> None:
    example = (ROOT / "instance" / "config.example.py").read_text()
    assert [key for key in SETTINGS if f"# {key} = " not in example] == []


def test_the_environment_variable_is_the_key_with_one_prefix() -> None:
    assert env_name("CMS_BASE_URL") == "CONSOLE_CMS_BASE_URL"
    assert env_name("SECRET_KEY") == "CONSOLE_SECRET_KEY"
    assert env_name("CONSOLE_ENV") == "CONSOLE_ENV"  # never CONSOLE_CONSOLE_ENV
    assert env_name("CONSOLE_LOCK_DIR") == "CONSOLE_LOCK_DIR"


def test_prefixed_variables_are_read_and_typed(tmp_path: Path) -> None:
    environ = {
        "CONSOLE_ENV": "qa",
        "CONSOLE_SECRET_KEY": "s" * 40,
        "CONSOLE_CMS_BASE_URL": "https://ali-qa.ali.app/cms/rest",
        "CONSOLE_SESSION_IDLE_SECONDS": "600",
        "CONSOLE_CMS_READ_TIMEOUT": "2.5",
        "CONSOLE_CMS_VERIFY_TLS": "no",
        "CONSOLE_TRUSTED_HOSTS": "a.example, b.example",
        "CONSOLE_CMS_TOKEN_REQUIRED_CLAIMS": "exp,sub",
        "CONSOLE_CMS_MERCHANT": "",  # empty: unset, the default stands
    }
    config = build_config(str(tmp_path), {}, environ=environ)
    assert config["CONSOLE_ENV"] == "qa"
    assert config["SECRET_KEY"] == "s" * 40
    assert config["CMS_BASE_URL"] == "https://ali-qa.ali.app/cms/rest"
    assert config["SESSION_IDLE_SECONDS"] == 600
    assert config["CMS_READ_TIMEOUT"] == 2.5
    assert config["CMS_VERIFY_TLS"] is False
    assert config["TRUSTED_HOSTS"] == ["a.example", "b.example"]
    assert config["CMS_TOKEN_REQUIRED_CLAIMS"] == ["exp", "sub"]
    assert config["CMS_MERCHANT"] is None
    assert from_environment({"CONSOLE_CONSOLE_ENV": "qa", "CONSOLE_PORT": "5000"}) == {}


def test_unprefixed_variables_are_ignored_with_a_warning_naming_the_one_to_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "unprefixed-" + "x" * 40
    assert from_environment({"CMS_BASE_URL": "https://elsewhere.example", "SECRET_KEY": secret}) == {}
    monkeypatch.setenv("CMS_BASE_URL", "https://elsewhere.example/cms/rest")
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("CONSOLE_SESSION_IDLE_SECONDS", "600")
    monkeypatch.setenv("SESSION_IDLE_SECONDS", "60")  # the prefixed one is set too: no warning for it
    with caplog.at_level(logging.WARNING, logger="webapp.config"):
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["CMS_BASE_URL"] is None
    assert app.config["SECRET_KEY"] != secret
    assert app.config["SESSION_IDLE_SECONDS"] == 600
    warnings = [record.getMessage() for record in caplog.records if record.name == "webapp.config"]
    assert any("CMS_BASE_URL" in line and "CONSOLE_CMS_BASE_URL" in line for line in warnings)
    assert any("SECRET_KEY" in line and "CONSOLE_SECRET_KEY" in line for line in warnings)
    assert not any("SESSION_IDLE_SECONDS" in line for line in warnings)
    assert not any(secret in line or "elsewhere" in line for line in warnings)  # never the value


def test_the_instance_folder_comes_from_its_prefixed_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.py").write_text("DORMANT_DAYS = 12\n")
    monkeypatch.setenv("CONSOLE_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})
    assert app.instance_path == str(tmp_path)
    assert app.config["DORMANT_DAYS"] == 12
    assert app.config["INSTANCE_PATH"] == str(tmp_path)


def test_the_instance_file_gives_upper_case_names_only(tmp_path: Path) -> None:
    assert from_pyfile(tmp_path / "config.py") == {}  # no file: nothing, no error
    (tmp_path / "config.py").write_text(
        'import os\nDORMANT_DAYS = 45\nhelper = "ignored"\nLOG_LEVEL = "DEBUG"\nHERE = __file__\n'
    )
    loaded = from_pyfile(tmp_path / "config.py")
    assert loaded == {"DORMANT_DAYS": 45, "LOG_LEVEL": "DEBUG", "HERE": str(tmp_path / "config.py")}
    config = build_config(str(tmp_path), {}, environ={"CONSOLE_DORMANT_DAYS": "7"})
    assert config["DORMANT_DAYS"] == 7  # the environment wins over the instance file
    assert config["LOG_LEVEL"] == "DEBUG"
