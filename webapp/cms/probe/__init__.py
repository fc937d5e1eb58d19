"""The conformance probe: reads a CMS environment safely and reports which contract assumptions hold.

Flask-free like the rest of webapp.cms; `webapp/cms_cli.py` is the command-line glue
(`flask --app wsgi cms probe`). Modules: `recording` (what went over the wire), `shapes` (field names and
JSON types, never values), `contract_check` (the contract's response schemas and capabilities), `redact`,
`steps` (the probe itself, in probe order) and `report` (table, JSON, Markdown).
"""

from webapp.cms.probe.core import ProbeOptions, Prompter
from webapp.cms.probe.model import CallRecord, Finding, ProbeResult, Verdict
from webapp.cms.probe.recording import RecordingTransport
from webapp.cms.probe.steps import Probe

__all__ = [
    "CallRecord",
    "Finding",
    "Probe",
    "ProbeOptions",
    "ProbeResult",
    "Prompter",
    "RecordingTransport",
    "Verdict",
]
