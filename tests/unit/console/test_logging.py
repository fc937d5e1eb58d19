"""JSON logs: one line per record, request id and actor attached, secrets and card data never written."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import Flask

from webapp.logging_setup import HANDLER_NAME, luhn_valid, scrub_text, security_event

PASSWORD = "Canary-Pass-9f3!"
OTP = "482913"
JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyOjQyIn0.c2lnbmF0dXJlLWNhbmFyeQ"
PAN = "4111111111111111"
DPI = "2547896541201"


@pytest.fixture
def log_buffer(bare_app: Flask) -> io.StringIO:
    buffer = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME)
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    return buffer


def _records(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_canaries_never_reach_the_log(bare_app: Flask, log_buffer: io.StringIO) -> None:
    log = logging.getLogger("webapp.test")
    with bare_app.test_request_context("/"):
        security_event(
            "login_failed", email="ana@demo.migo", password=PASSWORD, otp=OTP, detail={"token": JWT}
        )
        log.info("upstream said password=%s otp: %s with Bearer %s", PASSWORD, OTP, JWT)
        log.warning("card %s and DPI %s and grouped 4111 1111 1111 1111", PAN, DPI)
        log.info(
            "body", extra={"body": {"refreshToken": JWT, "cards": [{"pan": PAN}], "documentNumber": DPI}}
        )
        try:
            raise ValueError(f"bad pan {PAN} for token {JWT}")
        except ValueError:
            log.exception("boom")
    written = log_buffer.getvalue()
    for canary in (PASSWORD, OTP, JWT, PAN, DPI, "4111 1111 1111 1111"):
        assert canary not in written, canary
    records = _records(log_buffer)
    assert len(records) == 5
    assert records[0]["event"] == "login_failed"
    assert records[0]["email"] == "ana@demo.migo"  # what is not secret stays readable
    assert "[pan …1111]" in written


def test_records_carry_request_id_ip_and_timestamp(bare_app: Flask, log_buffer: io.StringIO) -> None:
    with bare_app.test_client() as client:
        response = client.get("/healthz", headers={"X-Request-ID": "req-1234567890"})
        assert response.headers["X-Request-ID"] == "req-1234567890"
        with bare_app.test_request_context("/"):
            from flask import g

            g.request_id = "req-abcdefgh"
            security_event("csrf_failure", reason="The CSRF token is missing.")
    record = _records(log_buffer)[-1]
    assert record["request_id"] == "req-abcdefgh"
    assert record["level"] == "WARNING"
    assert record["logger"] == "webapp.security"
    assert {"ts", "ip", "actor_id", "reason"} <= set(record)


def test_a_crlf_in_a_field_stays_one_line(bare_app: Flask, log_buffer: io.StringIO) -> None:
    with bare_app.test_request_context("/"):
        security_event("login_failed", email='x@y.z\r\n{"event": "login_success"}')
        logging.getLogger("webapp.test").info("name\r\nFAKE line")
    lines = log_buffer.getvalue().splitlines()
    assert len(lines) == 2
    assert all(json.loads(line) for line in lines)
    assert json.loads(lines[0])["event"] == "login_failed"


def test_a_malformed_request_id_is_replaced(bare_app: Flask) -> None:
    response = bare_app.test_client().get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] != "bad id <script>"
    assert len(response.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("order 1234567890123456 ok", True),  # 16 digits, not Luhn-valid: not a card
        ("amount 100.00 GTQ", True),
        ("phone 50212345678", True),  # 11 digits
    ],
)
def test_ordinary_numbers_are_left_alone(text: str, kept: bool) -> None:
    assert (scrub_text(text) == text) is kept


def test_luhn() -> None:
    assert luhn_valid(PAN)
    assert not luhn_valid("4111111111111112")
