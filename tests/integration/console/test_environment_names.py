"""The console as deployed (gunicorn, wsgi.py) takes its settings from `CONSOLE_` variables only."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.processes import console_environment, start_console, write_keys
from tests.support.sandbox import SandboxHandle


def test_a_gunicorn_console_reads_prefixed_variables_and_names_the_bare_ones(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    keys = write_keys(tmp_path, sandbox.signing, sandbox.merchant)
    instance = tmp_path / "instance"
    env = console_environment(sandbox.root, keys, instance)
    assert env["CONSOLE_CMS_BASE_URL"] == f"{sandbox.root}/cms/rest"
    assert "CMS_BASE_URL" not in env
    assert "SECRET_KEY" not in env
    env["CMS_BASE_URL"] = "http://127.0.0.1:9/cms/rest"  # a bare name: ignored, or /readyz would fail
    env["DORMANT_DAYS"] = "4567"  # a bare name with no prefixed twin: ignored with a warning
    console = start_console(tmp_path, "console", env, workers=1, threads=2)
    try:
        ready = httpx.get(f"{console.url}/readyz", timeout=30)  # details: the caller is on loopback
        details = ready.json()
        assert ready.status_code == 200, details
        assert details["environment"] == "sandbox"
        assert details["checks"]["upstream"]["ok"] is True  # CONSOLE_CMS_BASE_URL and the key files
        assert (instance / "console.sqlite3").is_file()  # CONSOLE_INSTANCE_PATH
    finally:
        console.stop()
    records = [json.loads(line) for line in console.log_path.read_text().splitlines() if line.startswith("{")]
    warnings = [record.get("event", "") for record in records if record.get("logger") == "webapp.config"]
    assert any("CONSOLE_DORMANT_DAYS" in message for message in warnings), console.log_tail()
    assert not any("4567" in message for message in warnings)  # never the value
