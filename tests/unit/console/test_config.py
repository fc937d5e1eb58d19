"""Configuration order and the production refusals (docs/security-checklist.md item 48)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import request

from webapp import create_app
from webapp.access import public
from webapp.config import ConfigError, build_config, from_environment

GOOD_PRODUCTION: dict[str, Any] = {
    "CONSOLE_ENV": "production",
    "SECRET_KEY": "k" * 20 + "Zq8-vR2xLp0aT5nW7yU3",
    "CMS_BASE_URL": "https://api.ali.app/cms/rest",
    "CMS_MERCHANT_KEY_PEM": b"private",
    "CMS_PUBLIC_KEY_PEM": b"public",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "TRUSTED_HOSTS": ["console.example.com"],
    "PROXY_FIX_X_FOR": 1,
    "PROXY_FIX_X_PROTO": 1,
}


def test_a_complete_production_config_is_accepted(tmp_path: Path) -> None:
    config = build_config(str(tmp_path), GOOD_PRODUCTION, environ={})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_NAME"] == "__Host-console"
    assert config["SESSION_TYPE"] == "redis"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/9"
    assert config["WTF_CSRF_TIME_LIMIT"] is None
    assert config["MAX_CONTENT_LENGTH"] == 17 * 1024 * 1024


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"DEBUG": True}, "DEBUG is on"),
        ({"SECRET_KEY": None}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": "short-key"}, "shorter than"),
        ({"SECRET_KEY": "CHANGE-ME-to-a-long-random-string"}, "well-known default"),
        ({"CMS_BASE_URL": "http://api.ali.app/cms/rest"}, "https://"),
        ({"CMS_VERIFY_TLS": False}, "TLS verification"),
        ({"REDIS_URL": None}, "REDIS_URL"),
        ({"TRUSTED_HOSTS": None}, "TRUSTED_HOSTS"),
        ({"TRUSTED_HOSTS": []}, "TRUSTED_HOSTS"),
        ({"PROXY_FIX_X_FOR": None}, "hop counts"),
        ({"COOKIE_SECURE": False}, "COOKIE_SECURE"),
        ({"CMS_APP_LOGIN": "signed", "CMS_MERCHANT_KEY_PEM": None}, "merchant private key"),
        ({"CMS_APP_LOGIN": "hmac"}, "CMS_APP_LOGIN must be plain or signed"),
        ({"CMS_CAPABILITIES_OFF": "partners,teleport"}, "unknown capabilities teleport"),
        ({"CMS_PARTNERS": "1:Uno,x:Dos"}, "CMS_PARTNERS: 'x:Dos'"),
        ({"CMS_PARTNERS": "1:Uno,1:Otra"}, "partner 1 is listed twice"),
        ({"SIGN_IN_OTP": "never"}, "SIGN_IN_OTP"),
        ({"SPANISH_LOCALE": "pt_BR"}, "SPANISH_LOCALE"),
        ({"SPANISH_LOCALE": "es_??"}, "SPANISH_LOCALE"),
        ({"CMS_ELEVATION_SECONDS": None}, "CMS_ELEVATION_SECONDS"),
        ({"CMS_ELEVATION_SECONDS": -1}, "CMS_ELEVATION_SECONDS"),
    ],
)
def test_production_refuses_to_start(tmp_path: Path, change: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        create_app({**GOOD_PRODUCTION, **change, "INSTANCE_PATH": str(tmp_path)})


def test_environment_overrides_instance_file_and_overrides_win(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(
        'DORMANT_DAYS = 30\nSESSION_IDLE_SECONDS = 600\nLOG_LEVEL = "DEBUG"\n'
    )
    environ = {
        "CONSOLE_SESSION_IDLE_SECONDS": "300",
        "CONSOLE_TRUSTED_HOSTS": "a.example, b.example",
        "CONSOLE_CMS_VERIFY_TLS": "false",
    }
    config = build_config(str(tmp_path), {"LOG_LEVEL": "WARNING"}, environ=environ)
    assert config["DORMANT_DAYS"] == 30  # instance file over defaults
    assert config["SESSION_IDLE_SECONDS"] == 300  # environment over instance file
    assert config["LOG_LEVEL"] == "WARNING"  # overrides over everything
    assert config["TRUSTED_HOSTS"] == ["a.example", "b.example"]
    assert config["CMS_VERIFY_TLS"] is False


def test_transport_objects_never_come_from_the_environment() -> None:
    assert "CMS_TRANSPORT" not in from_environment({"CONSOLE_CMS_TRANSPORT": "anything"})


def test_plain_http_dev_gets_an_unprefixed_cookie_and_sqlite_under_instance(tmp_path: Path) -> None:
    config = build_config(str(tmp_path), {"CMS_BASE_URL": "http://127.0.0.1:5001/cms/rest"}, environ={})
    assert config["COOKIE_SECURE"] is False
    assert config["SESSION_COOKIE_NAME"] == "console"
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'console.sqlite3'}"
    assert config["SESSION_TYPE"] == "cachelib"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_a_remote_sandbox_is_treated_as_deployed(tmp_path: Path) -> None:
    config = build_config(str(tmp_path), {"CMS_BASE_URL": "https://sandbox.example/cms/rest"}, environ={})
    assert config["COOKIE_SECURE"] is True


def test_warning_must_be_shorter_than_the_idle_timeout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SESSION_WARNING_SECONDS"):
        build_config(str(tmp_path), {"SESSION_IDLE_SECONDS": 60, "SESSION_WARNING_SECONDS": 60}, environ={})


def test_proxy_fix_trusts_only_the_configured_hops(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "PROXY_FIX_X_FOR": 1})

    @app.route("/_ip")
    @public
    def _ip() -> str:
        return str(request.remote_addr)

    spoofed = {"X-Forwarded-For": "6.6.6.6, 10.1.1.1"}
    response = app.test_client().get("/_ip", headers=spoofed, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True) == "10.1.1.1"  # one hop: the proxy's view, not the client's claim


def test_the_plain_app_login_needs_no_keys_at_all(tmp_path: Path) -> None:
    """The documented app login is `{merchant}`: neither the private nor the public key is required."""
    plain = {
        k: v for k, v in GOOD_PRODUCTION.items() if k not in {"CMS_MERCHANT_KEY_PEM", "CMS_PUBLIC_KEY_PEM"}
    }
    config = build_config(str(tmp_path), plain, environ={})
    assert config["CMS_APP_LOGIN"] == "plain"


def test_cms_settings_come_from_the_environment() -> None:
    found = from_environment(
        {
            "CONSOLE_CMS_APP_LOGIN": "signed",
            "CONSOLE_CMS_TOKEN_REQUIRED_CLAIMS": "exp, sub",
            "CONSOLE_CMS_ELEVATION_SECONDS": "120",
            "CONSOLE_CMS_PARTNERS": "1:Uno",
        }
    )
    assert found == {
        "CMS_APP_LOGIN": "signed",
        "CMS_TOKEN_REQUIRED_CLAIMS": ["exp", "sub"],
        "CMS_ELEVATION_SECONDS": 120,
        "CMS_PARTNERS": "1:Uno",
    }


@pytest.mark.parametrize("env", ["qa", "production"])
def test_outside_the_sandbox_a_missing_secret_key_refuses_to_start(tmp_path: Path, env: str) -> None:
    """A generated key is one per process: two gunicorn workers would reject each other's forms."""
    settings = {**GOOD_PRODUCTION, "CONSOLE_ENV": env, "SECRET_KEY": None}
    with pytest.raises(ConfigError, match="SECRET_KEY is missing"):
        build_config(str(tmp_path), settings, environ={})
    assert build_config(str(tmp_path), {**settings, "SECRET_KEY": "q" * 40}, environ={})["SECRET_KEY"]


def test_only_the_sandbox_runs_on_a_generated_key(tmp_path: Path) -> None:
    config = build_config(str(tmp_path), {"CONSOLE_ENV": "sandbox"}, environ={})
    assert config["SECRET_KEY_GENERATED"] is True


def test_upload_lock_and_exposure_settings_come_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "CONSOLE_UPLOADS_PROGRESS_IDLE_SECONDS": "7.5",
        "CONSOLE_UPLOADS_RETENTION_DAYS": "12",
        "CONSOLE_LOCK_DIR": str(tmp_path / "locks"),
        "CONSOLE_METRICS_TOKEN": "m" * 40,
        "CONSOLE_SERVER_TIMING": "true",
    }
    config = build_config(str(tmp_path), {}, environ=environ)
    assert config["UPLOADS_PROGRESS_IDLE_SECONDS"] == 7.5
    assert config["UPLOADS_RETENTION_DAYS"] == 12
    assert config["CONSOLE_LOCK_DIR"] == str(tmp_path / "locks")
    assert config["METRICS_TOKEN"] == "m" * 40
    assert config["SERVER_TIMING"] is True
    defaults = build_config(str(tmp_path), {}, environ={})
    assert defaults["UPLOADS_RETENTION_DAYS"] == 30
    assert defaults["SERVER_TIMING"] is False
    assert defaults["METRICS_TOKEN"] is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"UPLOADS_PROGRESS_IDLE_SECONDS": 0}, "UPLOADS_PROGRESS_IDLE_SECONDS"),
        ({"UPLOADS_RETENTION_DAYS": 0}, "UPLOADS_RETENTION_DAYS"),
        ({"UPLOADS_RETENTION_DAYS": 1.5}, "UPLOADS_RETENTION_DAYS"),
    ],
)
def test_upload_settings_are_checked(tmp_path: Path, change: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        build_config(str(tmp_path), change, environ={})


def test_step_up_settings_default_to_every_time_and_are_checked(tmp_path: Path) -> None:
    config = build_config(str(tmp_path), {}, environ={})
    assert config["STEP_UP_MAX_AGE"] == 0  # every sensitive action asks for a code
    assert config["STEP_UP_RATE_LIMIT"] == "5 per minute;20 per hour"  # refused codes
    assert config["STEP_UP_SEND_RATE_LIMIT"] == "5 per minute;60 per hour"  # codes mailed
    assert from_environment({"CONSOLE_STEP_UP_MAX_AGE": "600"}) == {"STEP_UP_MAX_AGE": 600}
    for wrong in (-1, None, True, "600"):
        with pytest.raises(ConfigError, match="STEP_UP_MAX_AGE"):
            build_config(str(tmp_path), {"STEP_UP_MAX_AGE": wrong}, environ={})
    example = (Path(__file__).parents[3] / "instance" / "config.example.py").read_text()
    for key in ("STEP_UP_MAX_AGE", "STEP_UP_RATE_LIMIT", "STEP_UP_SEND_RATE_LIMIT"):
        assert f"# {key} = " in example


def test_the_phone_region_defaults_to_guatemala_and_must_be_one_libphonenumber_knows(tmp_path: Path) -> None:
    assert build_config(str(tmp_path), {}, environ={})["PHONE_REGION"] == "GT"
    assert build_config(str(tmp_path), {}, environ={"CONSOLE_PHONE_REGION": "SV"})["PHONE_REGION"] == "SV"
    assert build_config(str(tmp_path), {}, environ={"CONSOLE_PHONE_REGION": ""})["PHONE_REGION"] == "GT"
    for wrong in ("XX", "gt", "", "GTM"):
        with pytest.raises(ConfigError, match="PHONE_REGION"):
            build_config(str(tmp_path), {"PHONE_REGION": wrong}, environ={})
