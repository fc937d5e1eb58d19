"""The first steps of an upload: stage the chosen file, pick its sheet, match or map its columns, check it.

The file never travels twice: it is staged server-side at the first step and referred to by a random id.
A file whose header names every field (as it is, or with a mapping remembered for the partner) goes straight
to the dry run; otherwise the operator assigns the columns first.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from webapp.access import Operator
from webapp.files.errors import FileRejected, Reason
from webapp.files.sniff import sniff
from webapp.htmx import FORM_INVALID, redirect, render
from webapp.logging_setup import security_event
from webapp.store import submissions
from webapp.store.audit import record_event
from webapp.textmarks import gettext as _
from webapp.uploads import records
from webapp.uploads.card_pool import free_cards
from webapp.uploads.checking import (
    KIND_FIELDS,
    MAX_FILE_BYTES,
    CheckResult,
    NeedsMapping,
    NeedsSheet,
    check_file,
    choose_mapping,
    inspect,
    missing_fields,
    read_header,
    workbook_sheets,
)
from webapp.uploads.forms import MappingForm, UploadForm, default_columns
from webapp.uploads.mapping import remember, remembered
from webapp.uploads.pages import counts, file_message, staging, target
from webapp.uploads.staging import StagedFile, TooLarge


def render_new(form: UploadForm, partner_id: int, status: int = 200, **extra: Any) -> ResponseReturnValue:
    return render(
        "uploads/new.html",
        status=status,
        form=form,
        partner_id=partner_id,
        max_mb=MAX_FILE_BYTES // (1024 * 1024),
        **extra,
    )


def receive(form: UploadForm, partner_id: int, operator: Operator) -> ResponseReturnValue:
    """A valid new-upload form: stage its file (or take the one staged before), then open the chosen sheet."""
    kind = form.kind.data
    folder = staging()
    staged = folder.load(form.staged_ref.data, operator_id=operator.id, partner_id=partner_id)
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", None):
        if staged is not None:
            folder.discard(staged.ref)
        try:
            staged = folder.stage(
                upload.stream,
                upload.filename,
                max_bytes=MAX_FILE_BYTES,
                operator_id=operator.id,
                partner_id=partner_id,
            )
        except TooLarge:
            form.file.errors = [_("The file is larger than 16 MB.")]
            return render_new(form, partner_id, status=413)
    if staged is None:
        form.file.errors = [_("Choose a CSV, XLSX or XLS file.")]
        return render_new(form, partner_id, status=FORM_INVALID)
    sheet = form.sheet.data or None
    try:
        _sniffed, sheet = inspect(staged.path, file_name=staged.file_name, sheet=sheet, kind=kind)
        return _after_sheet(staged, kind, sheet, partner_id, operator)
    except NeedsSheet as needs:
        _offer_sheets(form, staged, needs.names)
        return render_new(form, partner_id, status=200, choose_sheet=True, staged=staged)
    except FileRejected as rejected:
        return _rejected(form, staged, sheet, rejected, partner_id)


def _offer_sheets(form: UploadForm, staged: StagedFile, names: list[str]) -> None:
    form.sheet.choices = [SelectChoice(name, name) for name in names]
    form.staged_ref.data = staged.ref


def _rejected(
    form: UploadForm, staged: StagedFile, sheet: str | None, rejected: FileRejected, partner_id: int
) -> ResponseReturnValue:
    names = workbook_sheets(staged.path, staged.file_name) if sheet else []
    if len(names) > 1 and rejected.reason_code == Reason.BAD_HEADER:
        # A sheet the operator picked lacks columns: keep the workbook so another sheet can be picked.
        _offer_sheets(form, staged, names)
        form.sheet.errors = [file_message(rejected)]
        return render_new(form, partner_id, status=FORM_INVALID, choose_sheet=True, staged=staged)
    staging().discard(staged.ref)
    form.staged_ref.data = ""
    form.file.errors = [file_message(rejected)]
    security_event("upload_file_rejected", reason=rejected.reason_code, partner_id=partner_id)
    return render_new(form, partner_id, status=413 if rejected.reason_code == "too_large" else FORM_INVALID)


def _after_sheet(
    staged: StagedFile, kind: str, sheet: str | None, partner_id: int, operator: Operator
) -> ResponseReturnValue:
    """Header matched (as it is, or with a remembered mapping) → dry run; else the mapping step."""
    with staged.open() as stream:
        sniffed = sniff(stream, max_bytes=MAX_FILE_BYTES, file_name=staged.file_name)
    _row, header = read_header(staged.path, sniffed, sheet, file_name=staged.file_name)
    try:
        _match, mapping = choose_mapping(header, kind, remembered(partner_id, kind, header))
    except NeedsMapping:
        return redirect(
            url_for(".columns", partner_id=partner_id, ref=staged.ref, kind=kind, sheet=sheet or None)
        )
    upload_id = check_and_record(staged, kind, sheet, mapping, partner_id, operator)
    return redirect(url_for(".detail", partner_id=partner_id, upload_id=upload_id))


def check_staged(
    staged: StagedFile, kind: str, sheet: str | None, mapping: dict[str, str] | None, partner_id: int
) -> CheckResult:
    """The dry run of a staged file against the partner: its earlier uploads and its free cards."""
    return check_file(
        staged.path,
        kind=kind,
        file_name=staged.file_name,
        sheet=sheet,
        mapping=mapping,
        known=records.known_digests(partner_id),
        secret=records.key_secret(),
        region=current_app.config["PHONE_REGION"],
        free_cards=free_cards(partner_id),
    )


def check_and_record(
    staged: StagedFile,
    kind: str,
    sheet: str | None,
    mapping: dict[str, str] | None,
    partner_id: int,
    operator: Operator,
) -> int:
    """The dry run of the staged file, kept as a checked upload (nothing is sent to the CMS yet)."""
    result = check_staged(staged, kind, sheet, mapping, partner_id)
    upload_id = records.create_checked(
        partner_id=partner_id,
        actor_id=operator.id,
        actor_name=operator.name,
        staged=staged,
        result=result,
        mapping=mapping,
        submission_key=submissions.new_key(),
    )
    record_event(
        "bulk_upload_checked",
        outcome="success",
        target=target(upload_id),
        partner_id=partner_id,
        detail=counts(result),
    )
    return upload_id


def columns_step(
    partner_id: int, ref: str, kind: str, sheet: str | None, operator: Operator, *, posted: bool
) -> ResponseReturnValue:
    """The column-mapping page of a staged file; a valid choice checks the file and is remembered."""
    staged = staging().load(ref, operator_id=operator.id, partner_id=partner_id)
    if staged is None:
        flash(_("The file is no longer kept. Choose it again."), "warning")
        return redirect(url_for(".new", partner_id=partner_id))
    try:
        sniffed, sheet = inspect(staged.path, file_name=staged.file_name, sheet=sheet)
        _row, header = read_header(staged.path, sniffed, sheet, file_name=staged.file_name)
    except (FileRejected, NeedsSheet):
        flash(_("The file can no longer be read. Choose it again."), "warning")
        return redirect(url_for(".new", partner_id=partner_id))
    fields = KIND_FIELDS[kind]
    form = MappingForm()
    chosen = default_columns(header, fields)
    errors: dict[str, str] = {}
    problem: str | None = None
    if posted:
        chosen, mapping, errors = form.read(header, fields)
        if mapping is not None:
            try:
                upload_id = check_and_record(staged, kind, sheet, mapping, partner_id, operator)
            except FileRejected as rejected:
                problem = file_message(rejected)
            else:
                remember(partner_id, kind, header, mapping, operator.id)
                return redirect(url_for(".detail", partner_id=partner_id, upload_id=upload_id))
    return _render_columns(form, staged, kind, sheet, header, chosen, errors, problem, partner_id)


def _render_columns(
    form: MappingForm,
    staged: StagedFile,
    kind: str,
    sheet: str | None,
    header: list[str],
    chosen: dict[str, str],
    errors: dict[str, str],
    problem: str | None,
    partner_id: int,
) -> ResponseReturnValue:
    return render(
        "uploads/columns.html",
        status=FORM_INVALID if (errors or problem) else 200,
        form=form,
        partner_id=partner_id,
        staged=staged,
        kind=kind,
        sheet=sheet,
        header=[(str(index), text) for index, text in enumerate(header) if text.strip()],
        fields=KIND_FIELDS[kind],
        chosen=chosen,
        errors=errors,
        problem=problem,
        missing=missing_fields(header, kind),
    )
