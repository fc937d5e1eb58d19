"""The session-wide leak scan (tests/support/leak_scan.py) is live and would see each kind of leak."""

from __future__ import annotations

import logging
from pathlib import Path

from tests.support import leak_scan
from tests.support.console import make_console
from tests.support.sandbox import DEMO_PASSWORD, SandboxHandle

PAN = "4000056655665556"  # a Luhn-valid test card number
JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ"
HTML = [("Content-Type", "text/html; charset=utf-8")]


def test_every_console_response_and_log_record_is_scanned(sandbox: SandboxHandle, tmp_path: Path) -> None:
    app = make_console(sandbox, tmp_path)
    responses, records = leak_scan.SCANNER.responses, leak_scan.SCANNER.log_records
    assert "Password" in app.test_client().get("/auth/login").get_data(as_text=True)
    logging.getLogger("webapp.test").warning("a line the console writes")
    assert leak_scan.SCANNER.responses == responses + 1
    assert leak_scan.SCANNER.log_records > records


def test_the_scan_knows_the_seeded_documents_and_pans(sandbox: SandboxHandle) -> None:
    assert len(leak_scan.SCANNER.seeded_documents) > 1000
    assert len(leak_scan.SCANNER.seeded_pans) > 1000


def test_each_kind_of_leak_is_found() -> None:
    scanner = leak_scan.LeakScanner(seeded_documents=frozenset({"2847561930101"}))
    scanner.scan_response("GET /a", None, HTML, f"<td>{PAN}</td>".encode())
    scanner.scan_response("GET /b", None, HTML, f"<p>4000 0566 5566 5556 {JWT}</p>".encode())
    scanner.scan_response("GET /c", None, [("Set-Cookie", f"s={JWT}")], b"")
    scanner.scan_response("POST /d", None, HTML, DEMO_PASSWORD.encode())
    scanner.scan_response("GET /e", "cardholders.index", HTML, b"<td>2847561930101</td>")
    scanner.scan_url("/p/1/cardholders/?q=ana%40example.com", "GET /f")
    scanner.scan_log_line('{"event": "code 482913 sent"}', "webapp.test")
    scanner.note_otp("482913")
    scanner.scan_response("POST /g", None, HTML, b'<input id="otp" name="otp" type="text" value="731905">')
    scanner.note_otp("731905")
    found = "\n".join(scanner.problems(min_responses=1, min_log_records=1))
    for expected in (
        "card number 4000",
        "in body of GET /b",
        "JWT eyJh",
        "Set-Cookie header",
        "demo password",
        "document number 2847",
        "email in URL",
        "OTP code 4829",
        "OTP code 7319",
    ):
        assert expected in found, expected


def test_what_is_not_a_leak() -> None:
    scanner = leak_scan.LeakScanner(seeded_documents=frozenset({"2847561930101"}))
    # The operator's own search input, a DPI on an unscoped page (create/reveal), a millisecond timestamp,
    # a masked PAN and a 13-digit Luhn-valid run outside the scoped pages.
    scanner.scan_response("GET /l", "cardholders.index", HTML, b'<input name="q" value="2847561930101">')
    scanner.scan_response("POST /r", "cardholders.reveal", HTML, b"<dd>2847561930101</dd>")
    # A card id that happens to equal a code someone received is page content, not the code.
    scanner.scan_response("GET /n", "cardholders.new", HTML, b'<option value="502671">#502671</option>')
    scanner.note_otp("502671")
    scanner.scan_response("GET /t", None, HTML, b"<time data-ms=1764277743261></time> 400005******5556")
    assert scanner.problems(min_responses=3, min_log_records=0) == []


def test_an_empty_scan_is_a_failure() -> None:
    problems = leak_scan.LeakScanner().problems(min_responses=5, min_log_records=1)
    assert len(problems) == 2


def test_metrics_sample_values_are_numbers_but_their_labels_are_scanned() -> None:
    """A latency sum's 17 digits can pass a Luhn check (0.4000056655665556 s); a label value cannot hide."""
    scanner = leak_scan.LeakScanner()
    plain = [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]
    measured = f'# TYPE t histogram\nt_sum{{endpoint="a.b",status="200"}} 0.{PAN}\n'.encode()
    scanner.scan_response("GET /metrics", leak_scan.METRICS_ENDPOINT, plain, measured)
    assert scanner.problems(min_responses=1, min_log_records=0) == []
    labelled = f't_count{{endpoint="a.b",path="/x/{PAN}"}} 1.0\n'.encode()
    scanner.scan_response("GET /metrics", leak_scan.METRICS_ENDPOINT, plain, labelled)
    assert scanner.leaks == [f"card number {leak_scan.mask(PAN)} in body of GET /metrics"]
