"""Serving an evidence file back to an operator without letting it act as a page.

The upstream's bytes are re-checked by their magic bytes; only PNG, JPEG, WEBP and PDF keep their type (and
only when the bytes agree), anything else goes out as an opaque download. Every evidence answer carries
`nosniff` and a CSP of its own with `sandbox`, so even a hostile PDF runs no script with the console's origin.
A preview must be framable by the console's own detail page (`frame-ancestors 'self'`), which the shell's
site-wide headers forbid; `security_headers.own_headers` lets this one answer keep its own policy.
"""

from __future__ import annotations

from flask import Response

from webapp.cms.models import EvidenceFile
from webapp.process_requests.evidence import PREVIEWABLE, sniff
from webapp.security_headers import own_headers

# No fetches of any kind from inside the file, no scripts, no forms, no plugins escaping the sandbox.
_BASE_POLICY = (
    "default-src 'none'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; sandbox"
)
PREVIEW_POLICY = f"{_BASE_POLICY}; frame-ancestors 'self'"
DOWNLOAD_POLICY = f"{_BASE_POLICY}; frame-ancestors 'none'"


def trusted_type(evidence: EvidenceFile) -> str | None:
    """The content type to serve, when the upstream's label is previewable and the bytes agree with it."""
    declared = evidence.content_type.lower()
    if declared in PREVIEWABLE and sniff(evidence.content[:16]) == declared:
        return declared
    return None


def evidence_response(evidence: EvidenceFile, *, inline: bool) -> Response:
    """The file as an answer: inline (preview) only for a trusted previewable type, else an attachment."""
    content_type = trusted_type(evidence)
    inline = inline and content_type is not None
    response = Response(evidence.content, mimetype=content_type or "application/octet-stream")
    response.headers.set(
        "Content-Disposition", "inline" if inline else "attachment", filename=evidence.file_name
    )
    headers = {
        "Content-Security-Policy": PREVIEW_POLICY if inline else DOWNLOAD_POLICY,
        "X-Frame-Options": "SAMEORIGIN" if inline else "DENY",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return own_headers(response, headers)
