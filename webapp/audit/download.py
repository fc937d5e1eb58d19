"""A CSV or XLSX export as a download answer: the permission audit's and the activity trail's exports."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence

from werkzeug.wrappers import Response

from webapp.files.export import ExportValue, content_disposition, csv_chunks, write_xlsx_export

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(
    stem: str,
    fmt: str,
    header: Sequence[str],
    rows: Iterable[Sequence[ExportValue]],
    *,
    sheet_name: str,
    zone: dt.tzinfo | None = None,
) -> Response:
    """`fmt` "csv" or "xlsx"; times in `zone` when one is given. Never cached, never displayed inline."""
    if fmt == "csv":
        body = b"".join(csv_chunks(header, rows, zone=zone))
        mimetype = "text/csv"
    else:
        buffer = io.BytesIO()
        write_xlsx_export(buffer, header, rows, sheet_name=sheet_name, zone=zone)
        body = buffer.getvalue()
        mimetype = XLSX_MIMETYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(stem, fmt)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
