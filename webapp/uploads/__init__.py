"""Bulk cardholder uploads: file → (columns) → dry run → confirm with a code → one batch → live progress.

Pages under `/p/<partner_id>/uploads/`: the partner's upload history, the new-upload form, the column
mapping step, the dry-run report (with the confirm form), the progress page and the final report, and the
downloads (error report, per-row outcomes) as CSV or XLSX, formula-safe. `flask uploads purge` deletes what
is past its retention (`retention.py`).
"""

from __future__ import annotations

# The blueprint is made in views.py; the other route modules and the purge command register on it there.
from webapp.uploads import downloads, retention, submit
from webapp.uploads.views import bp

__all__ = ["bp", "downloads", "retention", "submit"]
