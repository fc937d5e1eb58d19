"""`flask cms probe` against the documented-only sandbox: each assumed capability is named absent and each
trimmed answer shape differs, while the documented reads still hold."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from tests.integration.probe.conftest import ProbeRun, leaks, write_calls
from tests.support.console import ALL_PERMISSIONS
from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle
from webapp.cms.capabilities import CAPABILITIES

TRIMMED = {
    "app-token-expiry": "missing data.expirationToken",
    "user-login-otp": "missing data.otpRequired",
    "otp-request": "HTTP 200: the answer has no data",
    "otp-verify": "the probe keeps the login tokens",
}
DOCUMENTED_READS = (
    "app-login",
    "user-login",
    "modules",
    "permissions",
    "balance",
    "cardholders",
    "process-requests",
    "process-request-list",
    "cardholder-detail",
    "pagination",
    "bad-user-token",
    "unknown-route",
    "envelope",
    "error-codes",
)


def test_documented_profile_names_every_missing_capability_and_trimmed_shape(
    documented_sandbox: SandboxHandle,
    run_probe: Callable[..., ProbeRun],
    console_app: Callable[..., Flask],
    tmp_path: Path,
) -> None:
    email = f"probe-{uuid.uuid4().hex[:10]}@test.migo"
    pairs = sorted(ALL_PERMISSIONS)
    documented_sandbox.create_user(
        email=email, name="Probe Operator", password=DEMO_PASSWORD, permissions={"1": pairs, "2": pairs}
    )
    documented_sandbox.clear_calls()
    app = console_app(CMS_BASE_URL=documented_sandbox.base_url, CMS_PARTNERS="1:Partner one,2:Partner two")
    target = tmp_path / "documented.json"

    run = run_probe(
        "--allow-writes", "--report", str(target), app=app, handle=documented_sandbox, CMS_PROBE_EMAIL=email
    )

    assert run.result.exit_code == 0, run.result.output
    report = json.loads(target.read_text(encoding="utf-8"))
    rows = {row["key"]: row for row in report["assumptions"]}
    absent = {row["capability"] for row in rows.values() if row["verdict"] == "absent"}
    assert absent == set(CAPABILITIES), run.stdout
    assert set(report["summary"]["absentCapabilities"]) == set(CAPABILITIES)
    assert "Capabilities the CMS lacks: current-operator, partners," in run.stdout
    for key, how in TRIMMED.items():
        assert rows[key]["verdict"] == "differs", (key, rows[key])
        assert how in rows[key]["detail"], (key, rows[key])
    for key in DOCUMENTED_READS:
        assert rows[key]["verdict"] == "holds", (key, rows[key])
    assert report["meta"]["partnersFrom"] == "CMS_PARTNERS"
    holding, checked = run.summary
    assert (holding, checked) == (report["summary"]["holds"], report["summary"]["checked"])
    assert holding < checked
    # The writes went to made-up ids only, and nothing secret or personal came out.
    assert all("999999999" in call for call in write_calls(documented_sandbox))
    for text in (
        run.result.output,
        target.read_text(encoding="utf-8"),
        target.with_suffix(".md").read_text(),
    ):
        assert leaks(text, documented_sandbox, run.codes) == []
