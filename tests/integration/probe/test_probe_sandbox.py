"""`flask cms probe` against the full sandbox: every assumption holds, nothing leaks, nothing is written."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from tests.integration.probe.conftest import ProbeRun, leaks, write_calls
from tests.support.sandbox import SandboxHandle

WRITE_ROWS = {
    "CMS-user changes exist as a route",
    "permission grants exist as a route",
    "cardholder changes exist as a route",
    "card actions exist as a route",
    "process-request decisions exist as a route",
}
PROGRESS_ROW = "#16 progress frames: shape as in the contract"


def test_every_checked_assumption_holds_against_the_sandbox(
    clean_faults: SandboxHandle, run_probe: Callable[..., ProbeRun]
) -> None:
    run = run_probe()

    assert run.result.exit_code == 0, run.result.output
    holding, checked = run.summary
    assert checked >= 25
    assert holding == checked, run.stdout
    not_checked = {text for text, verdict in run.rows().items() if verdict == "not checked"}
    assert not_checked == {PROGRESS_ROW, *WRITE_ROWS}, run.stdout
    assert "No write was sent" in run.stdout
    assert len(run.codes) == 1  # the code prompt was answered from the mailbox
    assert leaks(run.result.output, clean_faults, run.codes) == []
    assert write_calls(clean_faults) == []


def test_report_writes_json_and_its_markdown_twin_without_secrets(
    clean_faults: SandboxHandle, run_probe: Callable[..., ProbeRun], tmp_path: Path
) -> None:
    target = tmp_path / "qa-probe.json"

    run = run_probe("--report", str(target))

    assert run.result.exit_code == 0, run.result.output
    twin = tmp_path / "qa-probe.md"
    assert f"Report written to {target} and {twin}." in run.stdout
    report = json.loads(target.read_text(encoding="utf-8"))
    markdown = twin.read_text(encoding="utf-8")
    holding, checked = run.summary
    assert report["summary"]["line"] == f"{holding} of {checked} assumptions hold"
    assert markdown.rstrip().endswith(f"{holding} of {checked} assumptions hold")
    assert {row["verdict"] for row in report["assumptions"]} == {"holds", "not checked"}
    by_key = {row["key"]: row for row in report["assumptions"]}
    assert by_key["partners-list"]["capability"] == "partners"
    assert by_key["batch-status"]["capability"] == "batch-status"
    # Field names and JSON types are reported, values never.
    login = next(call for call in report["calls"] if call["step"] == "user login")
    assert login["fields"]["data.accessToken"] == "string"
    assert login["fields"]["data.id"] == "integer"
    assert "| Assumption | Operation | Capability | Verdict | Detail |" in markdown
    for text in (target.read_text(encoding="utf-8"), markdown, run.result.output):
        assert leaks(text, clean_faults, run.codes) == []


def test_allow_writes_probes_write_routes_with_made_up_ids_only(
    clean_faults: SandboxHandle, run_probe: Callable[..., ProbeRun]
) -> None:
    run = run_probe("--allow-writes")

    assert run.result.exit_code == 0, run.result.output
    holding, checked = run.summary
    assert holding == checked, run.stdout
    rows = run.rows()
    assert all(rows[text] == "holds" for text in WRITE_ROWS), run.stdout
    written = write_calls(clean_faults)
    assert len(written) == len(WRITE_ROWS)
    assert all("999999999" in call for call in written), written


def test_wrong_merchant_is_the_first_finding_and_the_table_still_prints(
    clean_faults: SandboxHandle, run_probe: Callable[..., ProbeRun], console_app: Callable[..., Flask]
) -> None:
    run = run_probe(app=console_app(CMS_MERCHANT="no-such-merchant"))

    assert run.result.exit_code == 0, run.result.output
    assert re.search(
        r"FIRST PROBLEM: The app login \((plain|signed)\) did not give a token: HTTP 401", run.stdout
    )
    assert run.rows()["#1 app login answers a token pair"] == "differs"
    # Even this one answer says something: the envelope and the error code hold.
    assert run.summary == (2, 3)
    assert run.codes == []  # nothing was prompted


def test_unreachable_cms_still_gives_a_table(
    run_probe: Callable[..., ProbeRun], console_app: Callable[..., Flask]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = console_app(CMS_BASE_URL=f"http://127.0.0.1:{port}/cms/rest", CMS_GET_ATTEMPTS=1)

    run = run_probe(app=app)

    assert run.result.exit_code == 0, run.result.output
    assert "FIRST PROBLEM: The CMS was not reached for the app login" in run.stdout
    assert set(run.rows().values()) == {"not checked"}
    assert run.summary == (0, 0)


def test_without_cms_settings_the_probe_refuses_to_start(
    run_probe: Callable[..., ProbeRun], console_app: Callable[..., Flask]
) -> None:
    run = run_probe(app=console_app(CMS_BASE_URL=None))

    assert run.result.exit_code != 0
    assert "The CMS is not configured" in run.result.output
    assert "assumptions hold" not in run.result.output


def test_a_report_named_like_its_markdown_twin_is_refused_before_anything_is_sent(
    run_probe: Callable[..., ProbeRun], tmp_path: Path
) -> None:
    run = run_probe("--report", str(tmp_path / "probe.md"))

    assert run.result.exit_code == 2
    assert "Invalid value for '--report': FILE must not end in .md" in run.result.output
    assert run.codes == []  # no sign-in started, so no code was asked for
    assert not (tmp_path / "probe.md").exists()
