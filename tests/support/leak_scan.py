"""A session-wide scan of everything the console produced in the test run, for data that must never leave it.

What is scanned: every response of every console app (status line headers, Set-Cookie, body — streamed bodies
chunk by chunk as they pass, xlsx exports unzipped), every request URL, and every log record as the console's
own handler would write it (redaction applied). What counts as a leak:

* a full card number: a seeded PAN anywhere, or any Luhn-valid 14–19 digit run with a card-brand first digit
  (13-digit runs only where a document number could not be the operator's own input, see `SCOPED`);
* a JWT (`eyJ….eyJ….…`) or the demo password anywhere;
* an OTP code the tests received from the sandbox mailbox, in a URL, header, log record, or a page's form
  value (how a code would be echoed back); matched at the end of the session, so a code leaked before the
  test read it still counts. Elsewhere in a page six digits are card ids and amounts, and a random code
  matching one of them by chance is not a leak;
* a seeded cardholder's full document number in a list page, export, header, URL or log line — the reveal and
  the create/edit pages legitimately show the operator's own input and are not scoped;
* an email address or a phone-like run in a URL (query strings included).

The scanner hooks `Flask.__call__` for apps whose import name is `webapp` (the console, never the sandbox), so
apps built by any test — test clients and live servers alike — are covered without each test opting in.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sqlite3
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle

CONSOLE_IMPORT_NAME = "webapp"
MAX_LEAKS = 200

# Pages whose full document numbers would be a leak: lists, exports and the masked detail page.
SCOPED = frozenset(
    {
        "cardholders.index",
        "cardholders.search",
        "cardholders.export",
        "cardholders.detail",
        "dashboard.index",
        "dashboard.partner_dashboard",
        "process_requests.index",
        "users.index",
        "users.detail",
        "audit.index",
        "audit.snapshot",
        "audit.download_csv",
        "audit.download_xlsx",
        "partners.index",
        "partners.detail",
    }
)

_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d{13,19}(?![0-9A-Za-z])")
_GROUPED_PAN = re.compile(r"(?<![0-9A-Za-z])\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}(?![0-9A-Za-z])")
_SIX_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{6}(?![0-9A-Za-z])")
# A code rendered back into the code field of a form: `<input … name="otp" … value="123456">`.
_OTP_INPUT = re.compile(r"""<input\b[^>]*\bname=["']otp["'][^>]*>""", re.IGNORECASE)
_VALUE = re.compile(r"""\bvalue=["'](\d{6})["']""")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
_PHONE = re.compile(r"(?<![0-9A-Za-z])\+?\d{8,15}(?![0-9A-Za-z])")
_INPUT_VALUE = re.compile(r"""\bvalue=("[^"]*"|'[^']*')""")
# /metrics: each sample line ends with a measured number, and a float's 17 digits (a latency sum) can pass a
# Luhn check. Those numbers are dropped; metric names, label values and help texts are still scanned.
METRICS_ENDPOINT = "metrics.metrics"
_METRIC_SAMPLE = re.compile(r"(?m)^(?!#)(.*\S) \S+$")
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "image/svg")
_XLSX_TYPES = ("spreadsheetml", "application/zip", "application/vnd.ms-excel")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_numbers(text: str, *, allow_13: bool, known_pans: frozenset[str] = frozenset()) -> list[str]:
    """Full card numbers in `text`: known PANs, and Luhn-valid runs that start like a card brand (2–6)."""
    found: list[str] = []
    for match in (*_DIGIT_RUN.finditer(text), *_GROUPED_PAN.finditer(text)):
        digits = re.sub(r"\D", "", match.group(0))
        if digits in known_pans or (
            (14 <= len(digits) <= 19 or (allow_13 and len(digits) == 13))
            and digits[0] in "23456"
            and luhn_valid(digits)
        ):
            found.append(digits)
    return found


def jwts(text: str) -> list[str]:
    return _JWT.findall(text)


def mask(secret: str) -> str:
    """Enough of a secret to find it again, not enough to use it."""
    return f"{secret[:4]}…{secret[-2:]}({len(secret)})"


@dataclass
class LeakScanner:
    responses: int = 0
    log_records: int = 0
    urls: int = 0
    leaks: list[str] = field(default_factory=list)
    known_otps: set[str] = field(default_factory=set)
    seeded_documents: frozenset[str] = frozenset()
    seeded_pans: frozenset[str] = frozenset()
    # Every standalone 6-digit run seen, with where it was first seen: OTPs are matched at the end.
    six_digit_runs: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- findings -------------------------------------------------------------------------------------
    def _leak(self, kind: str, where: str, secret: str) -> None:
        entry = f"{kind} {mask(secret)} in {where}"
        with self._lock:
            if entry not in self.leaks and len(self.leaks) < MAX_LEAKS:
                self.leaks.append(entry)

    def scan_text(self, text: str, where: str, *, scoped: bool, page_body: bool = False) -> None:
        """Look for every kind of leak in one piece of console output."""
        for pan in card_numbers(text, allow_13=scoped, known_pans=self.seeded_pans):
            self._leak("card number", where, pan)
        for token in jwts(text):
            self._leak("JWT", where, token)
        if DEMO_PASSWORD in text:
            self._leak("demo password", where, DEMO_PASSWORD)
        if scoped and self.seeded_documents:
            # A search box showing back what the operator typed is their own input, not a disclosure.
            for match in _DIGIT_RUN.finditer(_INPUT_VALUE.sub("", text)):
                if match.group(0) in self.seeded_documents:
                    self._leak("document number", where, match.group(0))
        if page_body:
            candidates = [code for tag in _OTP_INPUT.findall(text) for code in _VALUE.findall(tag)]
        else:
            candidates = _SIX_DIGITS.findall(text)
        with self._lock:
            for run in candidates:
                self.six_digit_runs.setdefault(run, where)

    def scan_url(self, url: str, where: str) -> None:
        """URLs end up in history, proxies and logs: nothing personal or secret may be in one."""
        decoded = unquote_plus(url)
        self.urls += 1
        self.scan_text(decoded, f"URL of {where}", scoped=True)
        for email in _EMAIL.findall(decoded):
            self._leak("email in URL", where, email)
        for phone in _PHONE.findall(decoded):
            self._leak("phone-like number in URL", where, phone)

    def scan_response(
        self, where: str, endpoint: str | None, headers: Iterable[tuple[str, str]], body: bytes
    ) -> None:
        with self._lock:
            self.responses += 1
        content_type = ""
        for name, value in headers:
            if name.lower() == "content-type":
                content_type = value.lower()
            if name.lower() in {"location", "hx-redirect", "hx-push-url", "hx-replace-url", "hx-location"}:
                self.scan_url(value, f"{name} header of {where}")
            self.scan_text(value, f"{name} header of {where}", scoped=True)
        scoped = endpoint in SCOPED
        if any(kind in content_type for kind in _XLSX_TYPES) or body[:2] == b"PK":
            self.scan_text(_xlsx_text(body), f"body (xlsx) of {where}", scoped=scoped, page_body=True)
        elif not content_type or any(content_type.startswith(kind) for kind in _TEXT_TYPES):
            text = body.decode("utf-8", "replace")
            if endpoint == METRICS_ENDPOINT:
                text = _METRIC_SAMPLE.sub(r"\1", text)
            self.scan_text(text, f"body of {where}", scoped=scoped, page_body=True)

    def scan_log_line(self, line: str, logger: str) -> None:
        with self._lock:
            self.log_records += 1
        self.scan_text(line, f"log record of {logger}", scoped=True)

    # -- inputs from the tests ------------------------------------------------------------------------
    def note_otp(self, code: str) -> None:
        with self._lock:
            self.known_otps.add(code)

    def watch_sandbox(self, handle: SandboxHandle) -> None:
        """Read the seeded document numbers and PANs straight from the sandbox database (added to those of any
        sandbox watched before: a run may start one per profile)."""
        url = handle.database_url
        if not url.startswith("sqlite:///"):
            return
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            documents = {row[0] for row in db.execute("SELECT document_number FROM cardholders")}
            pans = {row[0] for row in db.execute("SELECT pan FROM cards")}
        self.seeded_documents |= frozenset(d for d in documents if d.isdigit() and len(d) == 13)
        self.seeded_pans |= frozenset(pans)

    # -- the verdict ----------------------------------------------------------------------------------
    def problems(self, *, min_responses: int, min_log_records: int) -> list[str]:
        found = list(self.leaks)
        for code in sorted(self.known_otps & self.six_digit_runs.keys()):
            found.append(f"OTP code {mask(code)} in {self.six_digit_runs[code]}")
        if self.responses < min_responses:
            found.append(f"the leak scan saw only {self.responses} console responses (< {min_responses})")
        if self.log_records < min_log_records:
            found.append(f"the leak scan saw only {self.log_records} log records (< {min_log_records})")
        return found


SCANNER = LeakScanner()


def _xlsx_text(body: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith(".xml")
            )
    except (zipfile.BadZipFile, KeyError, ValueError):
        return body.decode("latin-1")


# -- hooks ---------------------------------------------------------------------------------------------


def _endpoint(app: Any, environ: dict[str, Any]) -> str | None:
    try:
        endpoint, _ = app.url_map.bind_to_environ(environ).match(method=environ.get("REQUEST_METHOD"))
    except Exception:  # 404/405/redirects: no endpoint, the body is still scanned
        return None
    return str(endpoint)


class _ScannedBody:
    """Passes the body on chunk by chunk (streams stay streams) and scans it once read or closed."""

    def __init__(self, chunks: Iterable[bytes], finish: Callable[[bytes], None]) -> None:
        self._chunks, self._finish, self._seen = chunks, finish, bytearray()
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self._seen += chunk
            yield chunk
        self._scan()  # test clients read a body to its end without always closing it

    def _scan(self) -> None:
        if not self._done:
            self._done = True
            self._finish(bytes(self._seen))

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        self._scan()


_TYPED_BY_THE_TEST = threading.local()


@contextlib.contextmanager
def urls_typed_by_the_test() -> Iterator[None]:
    """Requests whose URL the test itself fills with hostile values (huge ids, long digit runs): that URL is
    the test's input, not something the console produced, so it is not scanned. The answer, its headers
    (redirects included) and the logs still are. Same thread only, as with Flask's test client."""
    _TYPED_BY_THE_TEST.active = True
    try:
        yield
    finally:
        _TYPED_BY_THE_TEST.active = False


def install_response_hook(scanner: LeakScanner = SCANNER) -> None:
    """Wrap `Flask.__call__` once: console apps (import name `webapp`) get their traffic scanned."""
    from flask import Flask

    if getattr(Flask.__call__, "_leak_scan", False):
        return
    original = Flask.__call__

    def scanned_call(self: Flask, environ: dict[str, Any], start_response: Any) -> Any:
        if self.import_name != CONSOLE_IMPORT_NAME:
            return original(self, environ, start_response)
        method = str(environ.get("REQUEST_METHOD", "GET"))
        url = str(environ.get("PATH_INFO", "")) + (
            f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        )
        where = f"{method} {url.split('?')[0]}"
        if not getattr(_TYPED_BY_THE_TEST, "active", False):
            scanner.scan_url(url, where)
        endpoint = _endpoint(self, environ)
        captured: list[tuple[str, str]] = []

        def recording_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            captured[:] = headers
            return start_response(status, headers, *args)

        body = original(self, environ, recording_start_response)
        return _ScannedBody(body, lambda data: scanner.scan_response(where, endpoint, captured, data))

    scanned_call._leak_scan = True  # type: ignore[attr-defined]
    Flask.__call__ = scanned_call  # type: ignore[method-assign]


class LeakLogHandler(logging.Handler):
    """Scans each record as the console's JSON handler would write it: redaction first, then the formatter."""

    def __init__(self, scanner: LeakScanner = SCANNER) -> None:
        super().__init__(level=logging.DEBUG)
        self.scanner = scanner

    def emit(self, record: logging.LogRecord) -> None:
        import copy

        from webapp.logging_setup import JsonFormatter, RedactionFilter

        written = copy.copy(record)
        try:
            RedactionFilter().filter(written)
            line = JsonFormatter().format(written)
        except Exception:  # a record the console could not format is not one it wrote
            return
        self.scanner.scan_log_line(line, record.name)


def install_otp_registry(scanner: LeakScanner = SCANNER) -> None:
    """Every code a test reads from the sandbox mailbox (latest_otp reads it too) is remembered."""
    if getattr(SandboxHandle.mailbox, "_leak_scan", False):
        return
    original = SandboxHandle.mailbox

    def mailbox(self: SandboxHandle, email: str) -> list[dict[str, Any]]:
        messages = original(self, email)
        for message in messages:
            if message.get("code"):
                scanner.note_otp(str(message["code"]))
        return messages

    mailbox._leak_scan = True  # type: ignore[attr-defined]
    SandboxHandle.mailbox = mailbox  # type: ignore[method-assign]


def install(scanner: LeakScanner = SCANNER) -> None:
    install_response_hook(scanner)
    install_otp_registry(scanner)
    root = logging.getLogger()
    if not any(isinstance(handler, LeakLogHandler) for handler in root.handlers):
        root.addHandler(LeakLogHandler(scanner))


# -- the pytest side: which tests drove the console, and the verdict at the end of the session ----------

CONSOLE_TEST_DIRS = ("tests/integration/console/", "tests/browser/")


@dataclass
class SessionTally:
    console_tests_passed: int = 0
    problems: list[str] = field(default_factory=list)


TALLY = SessionTally()


def note_test_report(nodeid: str, when: str, passed: bool) -> None:
    if when == "call" and passed and nodeid.startswith(CONSOLE_TEST_DIRS):
        TALLY.console_tests_passed += 1


def verdict(scanner: LeakScanner = SCANNER) -> list[str]:
    """The leaks found; and, when console tests ran, proof the scan was not silently empty.

    Each console test makes at least one request on average and the console logs at least its startup
    migrations, so a scan that saw fewer means the hooks were not installed.
    """
    ran = TALLY.console_tests_passed
    TALLY.problems = scanner.problems(min_responses=ran // 2 if ran else 0, min_log_records=1 if ran else 0)
    return TALLY.problems
