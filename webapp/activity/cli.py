"""`flask --app wsgi audit-trail verify` and `flask --app wsgi audit-trail archive --before DATE`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.activity import archive as archiving
from webapp.store import chain, current_store
from webapp.store.audit import record_event

audit_trail = AppGroup("audit-trail", help="Check and archive the audit trail.")


@audit_trail.command("verify")
@click.option("--file", "archive_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(archive_file: Path | None) -> None:
    """Walk the hash chain; name the first broken link and exit 1 when there is one."""
    if archive_file is not None:
        verdict = archiving.verify_file(archive_file)
    else:
        with current_store().sessions() as db:
            verdict = chain.verify(db)
    if not verdict.ok:
        click.echo(
            f"BROKEN at event {verdict.broken_id}: {verdict.reason} ({verdict.checked} events before it)"
        )
        raise SystemExit(1)
    click.echo(f"OK: {verdict.checked} events, chain intact")


def _default_before() -> datetime:
    days = int(current_app.config.get("AUDIT_TRAIL_RETENTION_DAYS") or 400)
    return datetime.now(UTC) - timedelta(days=days)


@audit_trail.command("archive")
@click.option(
    "--before",
    "before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Archive events before this day (UTC). Default: AUDIT_TRAIL_RETENTION_DAYS ago.",
)
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the archive file goes. Default: <instance>/audit-archive.",
)
def archive_command(before: datetime | None, directory: Path | None) -> None:
    """Write the events before DATE to a file with the chain's anchor, then remove them from the database."""
    cutoff = before.replace(tzinfo=UTC) if before is not None else _default_before()
    target = directory or Path(current_app.instance_path) / "audit-archive"
    try:
        done = archiving.archive(current_store(), cutoff, target)
    except archiving.ArchiveRefused as exc:
        click.echo(f"REFUSED: the trail is broken ({exc}); nothing archived", err=True)
        raise SystemExit(1) from None
    record_event(
        "audit_trail_archived",
        outcome="success",
        detail={"count": done.count, "through_id": done.through_id, "before": cutoff.date().isoformat()},
    )
    if done.path is None:
        click.echo(f"Nothing before {cutoff.date().isoformat()} to archive")
        return
    click.echo(f"Archived {done.count} events (through id {done.through_id}) to {done.path}")
