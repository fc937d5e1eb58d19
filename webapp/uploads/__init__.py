"""Bulk cardholder uploads: file → (columns) → dry run → confirm with a code → one batch → live progress.

Pages under `/p/<partner_id>/uploads/`: the partner's upload history, the new-upload form, the column
mapping step, the dry-run report (with the confirm form), the progress page and the final report, and the
downloads (error report, per-row outcomes) as CSV or XLSX, formula-safe.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("uploads", __name__, url_prefix="/p/<int:partner_id>/uploads")

from webapp.uploads import views  # noqa: E402  (routes register on bp)

__all__ = ["bp", "views"]
