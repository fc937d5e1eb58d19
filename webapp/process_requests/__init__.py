"""Process requests: partner balance top-ups, asked for by one operator and decided by another.

Pages under `/p/<partner_id>/top-ups/`: the list with the partner balance, a request form with its evidence
file, the detail with the evidence previewed, and the approve / reject / cancel confirmations.
"""

from __future__ import annotations

from webapp.process_requests.views import bp

__all__ = ["bp"]
