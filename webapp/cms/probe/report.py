"""The probe's outputs: a table for the terminal, a JSON report and its Markdown twin.

Everything is redacted here, at the last step, whatever the steps put in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from webapp.cms.probe.model import ProbeResult, Verdict
from webapp.cms.probe.redact import Redactor

HEADERS = ("Assumption", "Operation", "Verdict", "Detail")
MAX_ASSUMPTION = 58
MAX_OPERATION = 56


def summary_line(result: ProbeResult) -> str:
    return f"{result.holding} of {result.checked} assumptions hold"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(result: ProbeResult, redact: Redactor) -> str:
    rows = [
        (
            _clip(redact(f.assumption), MAX_ASSUMPTION),
            _clip(redact(f.operation), MAX_OPERATION),
            str(f.verdict),
            redact(f"capability {f.capability}: {f.detail}" if f.capability else f.detail),
        )
        for f in result.findings
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADERS[:3])]
    lines = []

    def line(cells: tuple[str, ...]) -> str:
        head = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:3]))
        return f"{head}  {cells[3]}".rstrip()

    lines.append(line(HEADERS))
    lines.append(line((*("-" * w for w in widths), "-" * 6)))
    lines.extend(line(row) for row in rows)
    return "\n".join(lines)


def render_text(result: ProbeResult, redact: Redactor, notes: Sequence[str] = ()) -> str:
    meta = result.meta
    out = [
        redact(
            f"CMS conformance probe: {meta.get('baseUrl')} (app login: {meta.get('appLogin')}, "
            f"contract {meta.get('contractVersion')})"
        ),
    ]
    if result.problem:
        out.append(redact(f"FIRST PROBLEM: {result.problem}"))
    out.append("")
    out.append(render_table(result, redact))
    out.append("")
    counts = ", ".join(f"{result.count(v)} {v}" for v in Verdict)
    out.append(f"Verdicts: {counts} (not checked ones are left out of the count below).")
    if meta.get("writes"):
        out.append(redact(str(meta["writes"])))
    absent = result.absent_capabilities()
    if absent:
        out.append("Capabilities the CMS lacks: " + ", ".join(absent) + ".")
    out.extend(redact(note) for note in notes)
    out.append(summary_line(result))
    return "\n".join(out)


def as_json(result: ProbeResult, redact: Redactor) -> dict[str, Any]:
    body = {
        "meta": result.meta,
        "problem": result.problem,
        "summary": {
            "holds": result.holding,
            "checked": result.checked,
            **{str(v): result.count(v) for v in Verdict},
            "absentCapabilities": result.absent_capabilities(),
            "line": summary_line(result),
        },
        "assumptions": [f.as_dict() for f in result.findings],
        "calls": [c.as_dict() for c in result.calls],
    }
    redacted: dict[str, Any] = redact.deep(body)
    return redacted


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: ProbeResult, redact: Redactor) -> str:
    meta = result.meta
    out = [
        "# CMS conformance probe",
        "",
        f"* Upstream: `{meta.get('baseUrl')}`",
        f"* App login: {meta.get('appLogin')}",
        f"* Contract version: {meta.get('contractVersion')}",
        f"* Run at: {meta.get('startedAt')}",
    ]
    if meta.get("writes"):
        out.append(f"* Writes: {meta['writes']}")
    if result.problem:
        out += ["", f"**First problem:** {result.problem}"]
    out += [
        "",
        "## Assumptions",
        "",
        "| Assumption | Operation | Capability | Verdict | Detail |",
        "|---|---|---|---|---|",
    ]
    for f in result.findings:
        cells = (f.assumption, f"`{f.operation}`", f.capability or "", f"**{f.verdict}**", f.detail)
        out.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    out += [
        "",
        "## Calls",
        "",
        "| Step | Call | Status | Envelope | Error codes | Contract |",
        "|---|---|---|---|---|---|",
    ]
    for c in result.calls:
        call_cells = (
            c.step,
            f"`{c.method} {c.route}`",
            str(c.status) if c.status is not None else "-",
            c.envelope,
            ", ".join(c.error_codes),
            c.contract,
        )
        out.append("| " + " | ".join(_md_cell(x) for x in call_cells) + " |")
    out += ["", "## Fields found (names and JSON types only)", ""]
    for c in result.calls:
        if c.fields:
            out.append(f"### {c.step}: `{c.method} {c.route}` → {c.status}")
            out.append("")
            out += [f"* `{path}`: {types}" for path, types in c.fields.items()]
            out.append("")
    out += ["", summary_line(result), ""]
    return redact("\n".join(out))


def report_paths(file: Path) -> tuple[Path, Path]:
    """The JSON report and its Markdown twin: FILE and FILE with the suffix `.md`."""
    twin = file.with_suffix(".md")
    if twin == file:
        raise ValueError("the report FILE must not end in .md (its Markdown twin is FILE with .md)")
    return file, twin


def write_reports(result: ProbeResult, redact: Redactor, file: Path) -> tuple[Path, Path]:
    json_path, md_path = report_paths(file)
    json_path.write_text(
        json.dumps(as_json(result, redact), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    md_path.write_text(render_markdown(result, redact), encoding="utf-8")
    return json_path, md_path
