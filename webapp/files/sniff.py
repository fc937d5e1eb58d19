"""What an uploaded file really is, judged by its bytes, never by its name or the browser's content type.

The checks run before any parser sees the file: the size first (the caller's limit), then the type, then, for
xlsx, the zip directory (decompression bombs) and the XML parts (entity expansion bombs). A file that passes
is safe to hand to `excel_reader` or `text_reader`.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO, Final

from webapp.files.errors import FileRejected, Reason
from webapp.translatable import N_

OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC: Final = b"PK\x03\x04"
UTF8_BOM: Final = codecs.BOM_UTF8
UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

_CHUNK: Final = 1024 * 1024
# A DOCTYPE may declare entities that expand a few bytes into gigabytes; xlsx parts never need one.
_XML_DANGER: Final = re.compile(rb"<!(?i:doctype|entity)")
_MARKER_OVERLAP: Final = len(b"<!DOCTYPE") - 1
# Text that opens like markup is an HTML or XML page saved under a .csv name, not a table.
_MARKUP_START: Final = re.compile(
    r"\s*<(?:!doctype|html|head|body|\?xml|script|table|div|svg)\b", re.IGNORECASE
)


class FileKind(StrEnum):
    XLSX = "xlsx"
    XLS = "xls"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Caps on what an xlsx may unpack to. The defaults are far above what 16 MB of real cardholders needs."""

    max_total_uncompressed: int = 200 * 1024 * 1024
    max_entries: int = 10_000
    max_ratio: float = 100.0
    # Small parts may compress extremely well without being a threat (a 5 KB run of spaces is still 5 KB).
    ratio_floor_bytes: int = 1024 * 1024


DEFAULT_ZIP_LIMITS: Final = ZipLimits()


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The verdict: the kind, the size in bytes and, for text, the encoding to decode it with."""

    kind: FileKind
    size: int
    encoding: str | None = None


def sniff(
    stream: BinaryIO,
    *,
    max_bytes: int,
    file_name: str = "upload",
    zip_limits: ZipLimits = DEFAULT_ZIP_LIMITS,
    allow_text: bool = True,
) -> Sniffed:
    """Classify a seekable binary stream; raise `FileRejected` with the reason if it must not be parsed.

    The stream is left positioned at its start, ready for a reader.
    """
    size = _size_of(stream)
    if size > max_bytes:
        raise FileRejected(
            Reason.TOO_LARGE,
            N_("The file is larger than the allowed size."),
            file_name=file_name,
            details=(f"{size} > {max_bytes} bytes",),
        )
    if size == 0:
        raise FileRejected(Reason.EMPTY, N_("The file is empty."), file_name=file_name)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(OLE2_MAGIC):
        return Sniffed(FileKind.XLS, size)
    if head.startswith(ZIP_MAGIC):
        check_xlsx(stream, file_name=file_name, limits=zip_limits)
        stream.seek(0)
        return Sniffed(FileKind.XLSX, size)
    if not allow_text:
        raise FileRejected(
            Reason.UNKNOWN_TYPE, N_("The file is not an Excel workbook (.xlsx or .xls)."), file_name=file_name
        )
    encoding = detect_text_encoding(stream, file_name=file_name)
    stream.seek(0)
    return Sniffed(FileKind.CSV, size, encoding)


def _size_of(stream: BinaryIO) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def check_xlsx(stream: BinaryIO, *, file_name: str, limits: ZipLimits = DEFAULT_ZIP_LIMITS) -> None:
    """Refuse a zip that is not an xlsx, that would unpack too far, or whose XML declares entities."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRejected(
            Reason.UNREADABLE, N_("The file is a damaged zip archive."), file_name=file_name
        ) from None
    with archive:
        entries = archive.infolist()
        _check_directory(entries, file_name, limits)
        names = {entry.filename for entry in entries}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise FileRejected(
                Reason.NOT_XLSX, N_("The zip archive is not an Excel workbook (.xlsx)."), file_name=file_name
            )
        for entry in entries:
            if not entry.is_dir():
                _check_part(archive, entry, file_name, limits)


def _check_directory(entries: list[zipfile.ZipInfo], file_name: str, limits: ZipLimits) -> None:
    # The directory's declared sizes are checked first; `_check_part` then holds the real bytes to them.
    if len(entries) > limits.max_entries:
        raise FileRejected(
            Reason.ZIP_BOMB, N_("The workbook has too many internal parts."), file_name=file_name
        )
    total = 0
    for entry in entries:
        total += entry.file_size
        if total > limits.max_total_uncompressed:
            raise FileRejected(
                Reason.ZIP_BOMB,
                N_("The workbook would unpack to more than the allowed size."),
                file_name=file_name,
            )
        if entry.file_size >= limits.ratio_floor_bytes and (
            entry.file_size > limits.max_ratio * max(entry.compress_size, 1)
        ):
            raise FileRejected(
                Reason.ZIP_BOMB,
                N_("The workbook is compressed suspiciously well (possible zip bomb)."),
                file_name=file_name,
                details=(entry.filename,),
            )


def _check_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, file_name: str, limits: ZipLimits) -> None:
    """Stream one part through the scanner, never holding more than a chunk of it."""
    seen = 0
    tail = b""
    try:
        with archive.open(entry) as part:
            first = True
            while chunk := part.read(_CHUNK):
                if first and chunk.startswith(UTF16_BOMS):
                    # The byte scan below would miss a DOCTYPE spelt in UTF-16; Excel never writes that.
                    raise FileRejected(
                        Reason.XML_BOMB,
                        N_("The workbook has a part in an unsupported encoding."),
                        file_name=file_name,
                        details=(entry.filename,),
                    )
                first = False
                seen += len(chunk)
                if seen > entry.file_size or seen > limits.max_total_uncompressed:
                    raise FileRejected(
                        Reason.ZIP_BOMB,
                        N_("The workbook unpacks to more than it declares."),
                        file_name=file_name,
                    )
                if _XML_DANGER.search(tail + chunk):
                    raise FileRejected(
                        Reason.XML_BOMB,
                        N_("The workbook contains an XML document type declaration, which is not allowed."),
                        file_name=file_name,
                        details=(entry.filename,),
                    )
                tail = chunk[-_MARKER_OVERLAP:]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        # RuntimeError: an encrypted entry; NotImplementedError: an exotic compression method.
        raise FileRejected(
            Reason.UNREADABLE, N_("The workbook is damaged or encrypted."), file_name=file_name
        ) from None


def detect_text_encoding(stream: BinaryIO, *, file_name: str = "upload") -> str:
    """The codec for a text file: UTF-16 (by BOM), UTF-8 (BOM or strictly valid), else Windows-1252.

    Reads the whole stream in chunks: a single "ñ" on the last line decides between UTF-8 and cp1252.
    A NUL byte outside UTF-16 means binary content, not text. Leaves the stream at its start.
    """
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    cp1252_ok = True
    first = True
    while chunk := stream.read(_CHUNK):
        if b"\x00" in chunk:
            raise FileRejected(
                Reason.NOT_TEXT, N_("The file is neither a spreadsheet nor text."), file_name=file_name
            )
        if first:
            _refuse_markup(chunk, file_name)
            first = False
        if utf8_ok:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        if not utf8_ok and cp1252_ok:
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError:
                cp1252_ok = False
    stream.seek(0)
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        return "utf-8-sig" if head.startswith(UTF8_BOM) else "utf-8"
    # cp1252 leaves five bytes undefined; Latin-1 maps them (to C1 controls that the validators refuse).
    return "cp1252" if cp1252_ok else "latin-1"


def _refuse_markup(first_chunk: bytes, file_name: str) -> None:
    opening = first_chunk[:512].decode("latin-1").lstrip("\ufeff\xef\xbb\xbf")
    if _MARKUP_START.match(opening):
        raise FileRejected(
            Reason.MARKUP, N_("The file is a web page or XML document, not a table."), file_name=file_name
        )
