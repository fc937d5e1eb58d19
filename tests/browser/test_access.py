"""Access control in a real browser: the permission editor (preview, fresh code, save) and an auditor running
and exporting a permission audit; screenshots of every access-control screen."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.audit_worker import jobs_worker
from tests.browser.conftest import OPERATOR_PASSWORD, new_operator, shoot
from tests.support.sandbox import SandboxHandle

PARTNER = 1


def test_permission_editor_preview_code_and_save(
    page: Any, console_url: str, sandbox: SandboxHandle, signed_in_page: Callable[..., Any]
) -> None:
    editor = new_operator(sandbox, "Inés Editora", ["users:*", "cardholders:list", "cardholders:detail"])
    target = sandbox.create_user(
        email=f"ui-target-{uuid.uuid4().hex[:10]}@test.migo",
        password=OPERATOR_PASSWORD,
        name="Óscar Objetivo",
        partners=[PARTNER],
        permissions={str(PARTNER): ["cardholders:list"]},
    )
    signed_in_page(editor, OPERATOR_PASSWORD)  # the sign-in code does not count: saving asks for one

    page.goto(f"{console_url}/p/{PARTNER}/users/")
    expect(page.get_by_test_id("users-table")).to_be_visible()
    shoot(page, "access-01-users")
    page.goto(f"{console_url}/p/{PARTNER}/users/{target['id']}")  # the list may page it out in a long run
    expect(page.get_by_test_id("permissions-1")).to_contain_text("cardholders:list")
    shoot(page, "access-02-user-detail")
    page.get_by_role("link", name="Edit permissions").click()
    expect(page.get_by_test_id("permission-grid")).to_be_visible()
    expect(page.get_by_test_id("perm-cardholders:otp")).to_be_disabled()
    page.get_by_test_id("perm-cardholders:detail").check()
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("diff-granted")).to_contain_text("cardholders:detail")
    expect(page.get_by_test_id("diff-revoked")).to_contain_text("Nothing")
    page.get_by_label("Reason for the change").fill("Handles cardholder calls from Monday")
    page.get_by_role("button", name="Send code").click()
    expect(page.locator(".step-up-status")).to_contain_text("Code sent")
    page.get_by_label("Code from your email").fill(sandbox.latest_otp(editor))
    shoot(page, "access-03-editor-preview")
    page.get_by_test_id("save").click()
    expect(page.locator("#flash")).to_contain_text("Permissions saved: 1 granted, 0 revoked.")
    expect(page.get_by_test_id("perm-cardholders:detail")).to_be_checked()
    shoot(page, "access-04-editor-saved")
    assert f"/p/{PARTNER}/permissions/users/{target['id']}" in page.url


def test_auditor_runs_and_exports_an_audit(
    page: Any,
    console_url: str,
    sandbox: SandboxHandle,
    signed_in_page: Callable[..., Any],
    tmp_path: Path,
) -> None:
    auditor = new_operator(
        sandbox, "Carmen Auditora", ["users:list", "users:detail", "balance-management:list"]
    )
    signed_in_page(auditor, OPERATOR_PASSWORD)
    page.goto(f"{console_url}/partners/")
    expect(page.get_by_test_id("partners-table")).to_contain_text("GTQ")
    shoot(page, "access-05-partners")
    page.goto(f"{console_url}/p/{PARTNER}/permissions/")
    expect(page.get_by_test_id("module-cards")).to_contain_text("cards-admin:addFunds")
    shoot(page, "access-06-modules")
    page.get_by_role("link", name="Audit").click()
    shoot(page, "access-07-audit-index")
    page.get_by_test_id("run-audit").click()
    # The run is a job: the page answers at once with its panel, which polls until the worker is done.
    panel = page.get_by_test_id("job-panel")
    expect(panel).to_have_attribute("data-state", "queued")
    expect(page.get_by_role("heading", name="Job #", exact=False)).to_be_visible()
    with jobs_worker(sandbox, tmp_path):
        expect(panel).to_have_attribute("data-state", "done", timeout=30_000)
        expect(panel).to_contain_text("Users read")
        shoot(page, "access-08-audit-job-done")
        panel.get_by_test_id("job-result").click()
        expect(page.get_by_test_id("flags")).to_contain_text("Elena Barrios")
        expect(page.get_by_test_id("matrix")).to_be_visible()
        shoot(page, "access-08-audit-snapshot")
        page.get_by_test_id("export-csv").click()
        expect(panel).to_have_attribute("data-state", "done", timeout=30_000)
        with page.expect_download() as info:
            panel.get_by_test_id("job-download").click()
        download = info.value
        page.go_back()
    assert download.suggested_filename.startswith("permission-audit-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("Partner ID,Partner,User ID,Name,Email,Status,Last sign-in (America/Guatemala),")
    assert "Elena Barrios" in text
    page.get_by_role("link", name="Flagged only").click()
    expect(page.get_by_test_id("matrix")).to_contain_text("Elena Barrios")
