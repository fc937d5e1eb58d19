"""`flask --app wsgi cms ...`: commands that talk to the configured CMS; the probe's logic is in cms/probe."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import httpx
from flask import current_app
from flask.cli import AppGroup

from webapp.cms import CmsClient
from webapp.cms.contract import load_contract
from webapp.cms.probe import Probe, ProbeOptions, RecordingTransport
from webapp.cms.probe.contract_check import Contract
from webapp.cms.probe.redact import Redactor
from webapp.cms.probe.report import render_text, write_reports
from webapp.partner_list import parse_partners
from webapp.textmarks import N_
from webapp.upstream import settings_from_config

cms = AppGroup("cms", help="Commands that talk to the configured CMS (CMS_BASE_URL).")

ENV_EMAIL = "CMS_PROBE_EMAIL"
ENV_PASSWORD = "CMS_PROBE_PASSWORD"  # noqa: S105 - the name of a variable, not a password
ENV_OTP = "CMS_PROBE_OTP"


class Prompts:
    """Credentials from the environment, else asked on the terminal (password and code hidden).

    Prompts go to stderr, so stdout carries the report alone.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._env = environ

    def _value(self, name: str, text: str, *, hide: bool) -> str:
        value = self._env.get(name)
        if value:
            return value
        return str(click.prompt(text, hide_input=hide, err=True, default="", show_default=False))

    def email(self) -> str:
        return self._value(ENV_EMAIL, "Operator email", hide=False)

    def password(self) -> str:
        return self._value(ENV_PASSWORD, N_("Password"), hide=True)

    def otp(self) -> str:
        return self._value(ENV_OTP, "Code sent by the CMS (empty to skip)", hide=True)


def configured_partners(value: Any) -> tuple[int, ...]:
    """The ids of CMS_PARTNERS (`1:Name,2:Other`), as the console reads that setting."""
    try:
        return tuple(ref.partner_id for ref in parse_partners(value or None))
    except ValueError as exc:
        raise click.ClickException(f"CMS_PARTNERS: {exc}") from exc


def _client(config: Mapping[str, Any]) -> tuple[CmsClient, RecordingTransport]:
    """The console's own client, built as webapp.upstream builds it, with a recording transport."""
    settings = settings_from_config(dict(config))
    if settings is None:
        raise click.ClickException(
            "The CMS is not configured: set CMS_BASE_URL and CMS_MERCHANT (and the key files the app login "
            "needs) in instance/config.py or the environment. See the README, 'Pointing the console at the "
            "real CMS'."
        )
    inner = config.get("CMS_TRANSPORT") or httpx.HTTPTransport(verify=settings.verify_tls, trust_env=False)
    recorder = RecordingTransport(inner)
    try:
        return CmsClient(settings, transport=recorder), recorder
    except ValueError as exc:
        raise click.ClickException(f"The CMS settings are not usable: {exc}") from exc


def _report_path(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix == ".md":
        raise click.BadParameter("FILE must not end in .md: its Markdown twin is FILE with .md")
    return value


@cms.command("probe")
@click.option(
    "--partner",
    "partners",
    type=int,
    multiple=True,
    metavar="ID",
    help="A partner to read, when the CMS lists none (GET /app/users/me, GET /app/partners); repeatable. "
    "Falls back to the CMS_PARTNERS setting.",
)
@click.option(
    "--batch",
    "batch_id",
    metavar="ID",
    help="An existing upload's batch id: check batch status and progress frames.",
)
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_report_path,
    metavar="FILE",
    help="Also write FILE as JSON and its Markdown twin FILE with the suffix .md "
    "(--report probe.json writes probe.json and probe.md). Both are redacted.",
)
@click.option(
    "--allow-writes",
    is_flag=True,
    help="Also probe the write routes, each with a made-up id so that nothing is created or changed. "
    "Without it the probe sends no write at all.",
)
def probe(partners: tuple[int, ...], batch_id: str | None, report: Path | None, allow_writes: bool) -> None:
    """Check the configured CMS against the contract's assumptions: sign in, then read only.

    Credentials come from CMS_PROBE_EMAIL / CMS_PROBE_PASSWORD / CMS_PROBE_OTP or are prompted for.
    Prints a table (assumption, operation, verdict, detail); the last line is "N of M assumptions hold".
    Exits 0 whenever it ran, differences or not; non-zero when it could not start.
    """
    config = current_app.config
    options = ProbeOptions(
        partners=partners,
        configured_partners=configured_partners(config.get("CMS_PARTNERS")),
        allow_writes=allow_writes,
        batch_id=batch_id,
    )
    client, recorder = _client(config)
    redactor = Redactor()
    try:
        result = Probe(
            client, recorder, Contract(load_contract()), Prompts(os.environ), options, redactor
        ).run()
    finally:
        client.close()
    notes = []
    if report is not None:
        json_path, md_path = write_reports(result, redactor, report)
        notes.append(f"Report written to {json_path} and {md_path}.")
    click.echo(render_text(result, redactor, notes))
