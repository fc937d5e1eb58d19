"""Real files for the file-layer tests, built in memory: workbooks, hostile archives, encodings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile
from collections.abc import Sequence

import xlsxwriter
import xlwt

from webapp.cardholders.vocabulary import FIELDS

Cell = str | int | float | bool | dt.date | dt.datetime | None

VALID_ROW: dict[str, str] = {
    "name": "Ana",
    "lastName": "Núñez",
    "address": "5a Avenida 10-20, Zona 1",
    "countryOfBirth": "GT",
    "dateOfBirth": "1992-08-30",
    "maritalStatus": "casado",
    "gender": "F",
    "phoneNumber": "50230001234",
    "email": "ana.nunez@example.com",
    "documentType": "DPI",
    "documentNumber": "1234567890101",
    "cardId": "42",
}


def row(**changes: str) -> dict[str, str]:
    """The valid row with some fields changed."""
    return {**VALID_ROW, **changes}


def numbered_row(index: int, **changes: str) -> dict[str, str]:
    """A valid row whose business keys (document, e-mail, card) are unique to `index`."""
    keys = {
        "documentNumber": f"{1_000_000_000_000 + index:013d}",
        "email": f"person{index}@example.com",
        "cardId": str(1000 + index),
    }
    return row(**{**keys, **changes})


def xlsx_bytes(
    rows: Sequence[Sequence[Cell]], *, sheet: str = "Sheet1", more_sheets: Sequence[str] = ()
) -> bytes:
    """A genuine .xlsx made by xlsxwriter; dates get a date format as Excel users would have them."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    worksheet = workbook.add_worksheet(sheet)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, dt.date):
                worksheet.write_datetime(r, c, value, date_format)
            elif isinstance(value, str):
                worksheet.write_string(r, c, value)
            else:
                worksheet.write(r, c, value)
    for name in more_sheets:
        workbook.add_worksheet(name).write_string(0, 0, name)
    workbook.close()
    return buffer.getvalue()


def xls_bytes(rows: Sequence[Sequence[Cell]], *, sheet: str = "Hoja1") -> bytes:
    """A genuine legacy .xls (BIFF8 in an OLE2 container) made by xlwt."""
    workbook = xlwt.Workbook(encoding="utf-8")
    worksheet = workbook.add_sheet(sheet)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, dt.date):
                worksheet.write(r, c, value, date_style)
            else:
                worksheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cardholder_xlsx(rows: Sequence[dict[str, str]], header: Sequence[str] = FIELDS) -> bytes:
    return xlsx_bytes([list(header), *[[r[name] for name in FIELDS] for r in rows]])


def csv_bytes(
    rows: Sequence[Sequence[str]], *, encoding: str = "utf-8", delimiter: str = ",", bom: bool = False
) -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def cardholder_csv(
    rows: Sequence[dict[str, str]], *, encoding: str = "utf-8", delimiter: str = ",", bom: bool = False
) -> bytes:
    table = [list(FIELDS), *[[r[name] for name in FIELDS] for r in rows]]
    return csv_bytes(table, encoding=encoding, delimiter=delimiter, bom=bom)


def replace_part(xlsx: bytes, name: str, content: bytes) -> bytes:
    """The same workbook with one part's content replaced (how hostile workbooks are made)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, content if entry.filename == name else source.read(entry))
    return out.getvalue()


def billion_laughs_xlsx() -> bytes:
    """A workbook whose sheet XML defines nested entities: 10 levels × 10 = a billion "lol"s if expanded."""
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = "lol" if level == 1 else f"lol{level - 1}"
        entities.append(f'<!ENTITY lol{level} "{("&" + previous + ";") * 10}">')
    sheet = (
        '<?xml version="1.0"?>\n<!DOCTYPE worksheet [' + "".join(entities) + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return replace_part(xlsx_bytes([["name"]]), "xl/worksheets/sheet1.xml", sheet.encode())


def zip_bomb_xlsx(uncompressed_mb: int = 50) -> bytes:
    """A small workbook-shaped zip whose sheet inflates from a few KB to `uncompressed_mb` of zeros."""
    out = io.BytesIO()
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["name"]])))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for entry in base.infolist():
            if entry.filename != "xl/worksheets/sheet1.xml":
                target.writestr(entry.filename, base.read(entry))
        with target.open("xl/worksheets/sheet1.xml", "w") as part:
            block = b"\0" * (1024 * 1024)
            for _ in range(uncompressed_mb):
                part.write(block)
    return out.getvalue()


def incompressible_padding(size: int) -> bytes:
    """XML comment text that deflate cannot shrink (so ratio checks stay out of the way)."""
    return b"<!--" + os.urandom(size // 2).hex().encode()[: size - 7] + b"-->"


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
HTML_BYTES = (
    b"<!DOCTYPE html>\n<html><head><title>Export</title></head>"
    b"<body><table><tr><td>name</td></tr></table></body></html>\n"
)
