"""Transport faults F17–F19 (docs/faults.md) for the CMS client, over real loopback sockets.

F17: an upstream whose certificate cannot be trusted (self-signed; valid but for another name) is refused
before a single byte of HTTP goes out, and the refusal is a security event. F18: a redirect is never
followed, so whatever host it names sees nothing (no token). F19: when the connection pool is full, the
requests waiting for it fail fast and the pool is usable again afterwards.

The servers here count connections, TLS handshakes and requests themselves; a slow request is held on an
Event, never on a sleep. The helpers are reused by tests/integration/console/test_faults_transport.py.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.integration.cms.conftest import ANA, SessionHolder
from tests.support.sandbox import SandboxHandle
from webapp.cms import CmsClient, errors
from webapp.cms.wire import ApiRequest

ME = "GET /app/users/me"
CLOSE = "POST /app/partners/1/cardholders/*/close"
PING = ApiRequest("GET", "/app/users/me", route="/app/users/me")
# Stands in for the operator's token: it must reach no log record and no untrusted or foreign server.
CANARY_TOKEN = "Bearer canary-user-token-3c9e51"
HOLD_LIMIT = 15.0  # a held request is let go after this even if a test forgets to (no stuck threads)


# -- certificates ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def write(self, folder: Path, name: str) -> tuple[Path, Path]:
        certfile, keyfile = folder / f"{name}.crt", folder / f"{name}.key"
        certfile.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        keyfile.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return certfile, keyfile


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def make_ca() -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder("Fault Test CA", _name("Fault Test CA"), key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def make_server_cert(names: list[str], ca: Issued | None = None) -> Issued:
    """A server certificate for `names` (IPs or DNS names), signed by `ca`, or self-signed without one."""
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    issuer_key, issuer_name = (ca.key, ca.cert.subject) if ca else (key, _name(names[0]))
    builder = (
        _builder(names[0], issuer_name, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    return Issued(key, builder.sign(issuer_key, hashes.SHA256()))


def server_tls(issued: Issued, folder: Path, name: str) -> ssl.SSLContext:
    certfile, keyfile = issued.write(folder, name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


# -- a loopback server that counts everything --------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _CountingHTTPServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.request.settimeout(HOLD_LIMIT)
        if isinstance(self.request, ssl.SSLSocket):
            # Here, in the connection's own thread, so a client that gives up mid-handshake stalls no one.
            self.request.do_handshake()
            self.server.owner.note_handshake()
        super().setup()

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        owner = self.server.owner
        owner.note_request(self.command, self.path, dict(self.headers.items()))
        if owner.hold is not None:
            owner.hold.wait(HOLD_LIMIT)
        body = json.dumps({"success": True, "message": "ok", "data": {"served": True}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads the counters instead."""


class _CountingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: CountingServer, tls: ssl.SSLContext | None) -> None:
        self.owner = owner
        self.tls = tls
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        self.owner.note_connection()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A refused handshake or a client hanging up is what these tests provoke: no traceback noise."""


class CountingServer:
    """An HTTP(S) server on 127.0.0.1:0 answering a success envelope to anything, counting connections,
    completed TLS handshakes and requests. With `hold`, each request waits for that Event before answering."""

    def __init__(self, tls: ssl.SSLContext | None = None, hold: threading.Event | None = None) -> None:
        self.hold = hold
        self.connections = 0
        self.handshakes = 0
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._changed = threading.Condition()
        self._server = _CountingHTTPServer(self, tls)
        self.port = int(self._server.server_address[1])
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def note_connection(self) -> None:
        with self._changed:
            self.connections += 1
            self._changed.notify_all()

    def note_handshake(self) -> None:
        with self._changed:
            self.handshakes += 1
            self._changed.notify_all()

    def note_request(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._changed:
            self.requests.append((method, path, headers))
            self._changed.notify_all()

    def wait_for_requests(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.requests) >= count, timeout)

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def servers() -> Iterator[Callable[..., CountingServer]]:
    started: list[CountingServer] = []

    def start(**kwargs: Any) -> CountingServer:
        server = CountingServer(**kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def record_text(record: logging.LogRecord) -> str:
    """Everything a log record carries (message, extras, exception text), as one string to search."""
    return " ".join([record.getMessage(), repr(vars(record))])


def tls_events(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "webapp.security" and getattr(r, "event", None) == "upstream_tls_failure"
    ]


# -- F17: TLS failure ----------------------------------------------------------------------------------------


def test_f17_self_signed_upstream_fails_closed_with_a_security_event(
    make_cms: Callable[..., CmsClient],
    servers: Callable[..., CountingServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    untrusted = servers(tls=server_tls(make_server_cert(["127.0.0.1"]), tmp_path, "self-signed"))
    client = make_cms(base_url=f"{untrusted.url}/cms/rest")  # https to a loopback address is allowed
    assert client.upstream.base_url.startswith("https://127.0.0.1:")

    with caplog.at_level(logging.INFO), pytest.raises(errors.UpstreamUnavailable) as info:
        client.upstream.send(PING, {"x-user-token": CANARY_TOKEN})

    assert info.value.message == "The CMS cannot be reached."
    assert untrusted.connections == 1  # the client got to the server once: a bad certificate is not retried…
    assert untrusted.handshakes == 0  # …refused its certificate…
    assert untrusted.requests == []  # …and sent nothing over it: no fallback to verify=False
    events = tls_events(caplog)
    assert len(events) == 1, "one security event for the one refused handshake"
    assert all(e.levelno >= logging.WARNING for e in events)
    assert {getattr(e, "upstream_route", None) for e in events} == {"/app/users/me"}
    assert "self-signed" in str(getattr(events[0], "tls_reason", ""))
    assert not [r for r in caplog.records if "canary-user-token" in record_text(r)]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_f17_certificate_for_another_name_fails_closed_though_its_ca_is_trusted(
    make_cms: Callable[..., CmsClient],
    servers: Callable[..., CountingServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    host: str,
) -> None:
    """The client has no CA-bundle setting (verify is on or off), so the test puts its own CA where the
    client's default trust store comes from (certifi, read when the client is built; trust_env is off).
    A certificate from that CA for the right name is accepted, which shows the CA really is trusted; one
    for another name is refused: the hostname is checked, not only the chain."""
    ca = make_ca()
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    right = servers(tls=server_tls(make_server_cert(["127.0.0.1", "localhost"], ca), tmp_path, "right"))
    wrong = servers(tls=server_tls(make_server_cert(["cms.other.example"], ca), tmp_path, "wrong"))
    monkeypatch.setattr(certifi, "where", lambda: str(ca_file))
    good = make_cms(base_url=f"https://{host}:{right.port}/cms/rest")
    bad = make_cms(base_url=f"https://{host}:{wrong.port}/cms/rest")
    monkeypatch.undo()

    reply = good.upstream.send(PING, {"x-user-token": CANARY_TOKEN})
    assert reply.data == {"served": True}
    assert len(right.requests) == 1

    with caplog.at_level(logging.INFO), pytest.raises(errors.UpstreamUnavailable):
        bad.upstream.send(PING, {"x-user-token": CANARY_TOKEN})
    assert wrong.connections == 1  # not retried
    assert wrong.handshakes == 0
    assert wrong.requests == []
    events = tls_events(caplog)
    assert events, "no security event for the hostname mismatch"
    assert "mismatch" in str(getattr(events[0], "tls_reason", ""))
    assert not [r for r in caplog.records if "canary-user-token" in record_text(r)]


# -- F18: redirect to another host ---------------------------------------------------------------------------


@pytest.fixture
def holder(sign_in: Callable[..., SessionHolder]) -> SessionHolder:
    return sign_in(ANA)


@pytest.mark.parametrize(
    ("route", "status"),
    [(ME, 301), (ME, 302), (ME, 303), (ME, 307), (ME, 308), (CLOSE, 302), (CLOSE, 307)],
)
def test_f18_redirect_to_another_host_is_not_followed(
    cms: CmsClient,
    holder: SessionHolder,
    clean_faults: SandboxHandle,
    servers: Callable[..., CountingServer],
    route: str,
    status: int,
) -> None:
    elsewhere = servers()
    clean_faults.set_fault(route, "redirect", status=status, location=f"http://localhost:{elsewhere.port}/x")
    calls: dict[str, Callable[[], object]] = {
        ME: lambda: cms.auth.me(holder),
        CLOSE: lambda: cms.cardholders.close(holder, 1, 1, "test"),
    }
    with pytest.raises(errors.BadUpstreamResponse) as info:
        calls[route]()
    assert info.value.status == status
    assert len(clean_faults.calls(route)) == 1  # a redirect is not a transient failure: no retry either
    assert elsewhere.connections == 0  # the other host saw nothing, so no token reached it
    assert elsewhere.requests == []


# -- F19: pool exhaustion ------------------------------------------------------------------------------------

POOL = 4
POOL_TIMEOUT = 0.5
CONCURRENT = 10


def test_f19_a_full_pool_fails_fast_and_recovers(
    make_cms: Callable[..., CmsClient],
    servers: Callable[..., CountingServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = threading.Event()
    slow = servers(hold=release)
    client = make_cms(
        base_url=f"{slow.url}/cms/rest",
        max_pool=POOL,
        pool_timeout=POOL_TIMEOUT,
        read_timeout=HOLD_LIMIT,
        deadline=HOLD_LIMIT + 5,
    )
    start = threading.Barrier(CONCURRENT)
    results: queue.Queue[tuple[errors.CmsError | None, float]] = queue.Queue()

    def call() -> None:
        start.wait(timeout=10)
        began = time.monotonic()
        try:
            client.upstream.send(PING)
            results.put((None, time.monotonic() - began))
        except errors.CmsError as exc:
            results.put((exc, time.monotonic() - began))

    threads = [threading.Thread(target=call, daemon=True) for _ in range(CONCURRENT)]
    try:
        with caplog.at_level(logging.INFO, logger="webapp.cms"):
            for thread in threads:
                thread.start()
            assert slow.wait_for_requests(POOL, timeout=10), "the pool never filled"
            # Every request beyond the pool fails while the first four are still held upstream.
            early = [results.get(timeout=POOL_TIMEOUT + 5) for _ in range(CONCURRENT - POOL)]
            assert not release.is_set()
            assert len(slow.requests) == POOL
            release.set()
            late = [results.get(timeout=10) for _ in range(POOL)]
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)

    assert all(isinstance(exc, errors.UpstreamUnavailable) for exc, _ in early), early
    assert max(elapsed for _, elapsed in early) < POOL_TIMEOUT + 1.0  # about the pool wait, not a read
    assert [exc for exc, _ in late] == [None] * POOL
    # A full pool is ours, not the upstream's fault: one try each (no second wait), breaker untouched.
    waits = [r for r in caplog.records if getattr(r, "outcome", None) == "_PoolExhausted"]
    assert [getattr(r, "attempt", None) for r in waits] == [1] * (CONCURRENT - POOL)
    assert client.breaker.state == "closed"
    # No connection is stuck: the next request gets one at once.
    assert client.upstream.send(PING).data == {"served": True}
    assert len(slow.requests) == POOL + 1
