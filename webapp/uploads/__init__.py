"""Bulk cardholder uploads: file → (columns) → dry run → confirm with a code → one batch → live progress.

Pages under `/p/<partner_id>/uploads/`: the partner's upload history, the new-upload form, the column
mapping step, the dry-run report (with the confirm form), the progress page and the final report, and the
downloads (error report, per-row outcomes) as CSV or XLSX, formula-safe. `flask uploads purge` deletes what
is past its retention (`retention.py`).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("uploads", __name__, url_prefix="/p/<int:partner_id>/uploads")

from webapp.uploads import retention, views  # noqa: E402  (routes and the purge command register on bp)

__all__ = ["bp", "retention", "views"]
