"""File type by content, size first, and the bombs refused before any parser runs."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.unit.files import builders
from webapp.files.errors import FileRejected, Reason
from webapp.files.sniff import FileKind, ZipLimits, check_xlsx, detect_text_encoding, sniff

MB = 1024 * 1024


def _sniff(data: bytes, *, max_bytes: int = 16 * MB) -> FileKind:
    return sniff(io.BytesIO(data), max_bytes=max_bytes, file_name="upload.bin").kind


def _rejected(
    data: bytes, reason: Reason, *, max_bytes: int = 16 * MB, allow_text: bool = True
) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        sniff(io.BytesIO(data), max_bytes=max_bytes, file_name="operator-file.xlsx", allow_text=allow_text)
    assert caught.value.reason is reason
    assert "operator-file.xlsx" in str(caught.value)
    return caught.value


def test_a_real_xlsx_is_xlsx() -> None:
    assert _sniff(builders.xlsx_bytes([["name"], ["Ana"]])) is FileKind.XLSX


def test_a_real_xls_is_xls() -> None:
    assert _sniff(builders.xls_bytes([["name"], ["Ana"]])) is FileKind.XLS


def test_ole2_is_recognised_by_its_header_bytes_alone() -> None:
    assert _sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504) is FileKind.XLS


def test_csv_is_text_with_its_encoding() -> None:
    result = sniff(io.BytesIO("name\nNúñez\n".encode()), max_bytes=MB)
    assert (result.kind, result.encoding, result.size) == (FileKind.CSV, "utf-8", 13)


def test_the_stream_is_rewound_for_the_reader() -> None:
    stream = io.BytesIO(builders.xlsx_bytes([["name"]]))
    sniff(stream, max_bytes=MB)
    assert stream.tell() == 0


def test_size_is_checked_before_anything_else() -> None:
    error = _rejected(b"x" * 101, Reason.TOO_LARGE, max_bytes=100)
    assert error.details == ("101 > 100 bytes",)


def test_an_empty_file_is_refused() -> None:
    _rejected(b"", Reason.EMPTY)


def test_a_png_renamed_xlsx_is_not_a_spreadsheet() -> None:
    _rejected(builders.PNG_BYTES, Reason.NOT_TEXT)


def test_a_png_is_unknown_when_only_excel_is_allowed() -> None:
    _rejected(builders.PNG_BYTES, Reason.UNKNOWN_TYPE, allow_text=False)


def test_csv_is_refused_when_only_excel_is_allowed() -> None:
    _rejected(b"name,lastName\nAna,Lopez\n", Reason.UNKNOWN_TYPE, allow_text=False)


@pytest.mark.parametrize(
    "page",
    [builders.HTML_BYTES, b"\xef\xbb\xbf  <html><body>x</body></html>", b'<?xml version="1.0"?><a/>'],
)
def test_an_html_or_xml_file_renamed_csv_is_refused(page: bytes) -> None:
    _rejected(page, Reason.MARKUP)


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    _rejected(out.getvalue(), Reason.NOT_XLSX)


def test_a_truncated_zip_is_unreadable() -> None:
    data = builders.xlsx_bytes([["name"], ["Ana"]])
    _rejected(data[: len(data) // 2], Reason.UNREADABLE)


def test_a_zip_bomb_is_refused_from_its_directory() -> None:
    bomb = builders.zip_bomb_xlsx(uncompressed_mb=50)
    assert len(bomb) < 200 * 1024  # small on disk: only the declared sizes give it away
    error = _rejected(bomb, Reason.ZIP_BOMB)
    assert error.details == ("xl/worksheets/sheet1.xml",)


def test_total_uncompressed_size_is_capped() -> None:
    data = builders.replace_part(
        builders.xlsx_bytes([["name"]]), "xl/worksheets/sheet1.xml", builders.incompressible_padding(300_000)
    )
    limits = ZipLimits(max_total_uncompressed=200_000)
    with pytest.raises(FileRejected) as caught:
        check_xlsx(io.BytesIO(data), file_name="big.xlsx", limits=limits)
    assert caught.value.reason is Reason.ZIP_BOMB


def test_entry_count_is_capped() -> None:
    with pytest.raises(FileRejected) as caught:
        check_xlsx(
            io.BytesIO(builders.xlsx_bytes([["name"]])), file_name="x.xlsx", limits=ZipLimits(max_entries=3)
        )
    assert caught.value.reason is Reason.ZIP_BOMB


def test_an_xlsx_with_a_billion_laughs_doctype_is_refused() -> None:
    error = _rejected(builders.billion_laughs_xlsx(), Reason.XML_BOMB)
    assert error.details == ("xl/worksheets/sheet1.xml",)


def test_a_lower_case_doctype_split_across_scan_chunks_is_found() -> None:
    # The scanner reads 1 MiB at a time; the marker straddles the first boundary.
    padding = builders.incompressible_padding(1024 * 1024 - 4)
    part = padding + b"<!doctype x>" + b"<worksheet/>"
    data = builders.replace_part(builders.xlsx_bytes([["name"]]), "xl/worksheets/sheet1.xml", part)
    _rejected(data, Reason.XML_BOMB)


def test_an_entity_declaration_in_any_part_is_refused() -> None:
    part = b'<?xml version="1.0"?><!ENTITY x "y"><sst/>'
    data = builders.replace_part(builders.xlsx_bytes([["name"]]), "xl/workbook.xml", part)
    _rejected(data, Reason.XML_BOMB)


def test_a_utf16_xml_part_is_refused_because_the_byte_scan_cannot_read_it() -> None:
    part = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><x/>'.encode("utf-16")
    data = builders.replace_part(builders.xlsx_bytes([["name"]]), "xl/worksheets/sheet1.xml", part)
    _rejected(data, Reason.XML_BOMB)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("name\nNúñez\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "name\nNúñez\n".encode(), "utf-8-sig"),
        ("name\nNúñez\n".encode("utf-16"), "utf-16"),
        ("name\nNúñez\n".encode("utf-16-be").join([b"\xfe\xff", b""]), "utf-16"),
        ("name\nNúñez\n".encode("cp1252"), "cp1252"),
        (b"name\n\x81\x8d\n", "latin-1"),
        (b"plain ascii\n", "utf-8"),
    ],
)
def test_text_encoding_detection(data: bytes, encoding: str) -> None:
    assert detect_text_encoding(io.BytesIO(data)) == encoding


def test_a_late_cp1252_byte_decides_the_whole_file() -> None:
    data = b"name\n" + b"Ana\n" * 400_000 + "Núñez\n".encode("cp1252")
    assert detect_text_encoding(io.BytesIO(data)) == "cp1252"


def test_a_utf8_character_split_across_chunks_is_still_utf8() -> None:
    data = b"x" * (1024 * 1024 - 1) + "ñ".encode()
    assert detect_text_encoding(io.BytesIO(data)) == "utf-8"


def test_utf16_without_bom_is_binary() -> None:
    _rejected("name\nAna\n".encode("utf-16-le"), Reason.NOT_TEXT)
