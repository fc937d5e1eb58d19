"""Permission audit: 200 users × every sandbox partner, the sandbox holding each call 20 ms.

Runs the same audit (`webapp.audit.collect.collect`) with the console's bounded pool and with one worker
(sequential), and prints both times and the ratio. Bar (README "Benchmarks", 200 users × 5 partners): parallel
≤ 5 s, sequential ≥ 20 s. The sandbox's controls add the two partners beyond its three seeded ones
(`POST /_sandbox/partners`), the 200 users and an auditing administrator assigned to all five
(`POST /_sandbox/users`).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization

from tests.support.keys import KeyPair, new_keypair
from tests.support.sandbox import MERCHANT
from webapp.audit.collect import DEFAULT_WORKERS, collect
from webapp.cms import CmsClient, CmsSettings, UserTokens

USERS = 200
LATENCY_MS = 20
PARALLEL_BAR_S = 5.0
SEQUENTIAL_BAR_S = 20.0
TARGET_PARTNERS = 5
AUDIENCE = "ali-api-cms-rest"
ADMIN = "bench.admin@bench.migo"
BENCH_PASSWORD = "Bench-Pass-2026!"  # noqa: S105  (throw-away users of a throw-away sandbox)
GRANT_SETS = (
    ["cardholders:list", "cardholders:detail"],
    ["balance-management:create", "approvals:update"],
    ["users:*"],
    ["cards-admin:addFunds", "cards-admin:detail"],
)


class MemoryTokenHolder:
    """The bench's operator session: tokens in memory, one refresh at a time."""

    def __init__(self) -> None:
        self._tokens: UserTokens | None = None
        self._lock = threading.Lock()

    def load(self) -> UserTokens | None:
        return self._tokens

    def save(self, tokens: UserTokens) -> None:
        self._tokens = tokens

    def lock(self) -> contextlib.AbstractContextManager[None]:
        return self._locked()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            yield


class SandboxProcess:
    """The sandbox in its own process, as `make run` starts it: the console's threads then do not share one
    interpreter (and one GIL) with the sandbox's, which would measure contention, not the console."""

    def __init__(self, folder: Path, signing: KeyPair, merchant: KeyPair) -> None:
        (folder / "signing.pem").write_bytes(signing.private_pem)
        (folder / "merchant.pub").write_bytes(merchant.public_pem)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/cms/rest"
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "webapp.sandbox",
                "--port",
                str(self.port),
                "--instance",
                str(folder),
                "--signing-key",
                str(folder / "signing.pem"),
                "--merchant",
                f"{MERCHANT}={folder / 'merchant.pub'}",
                "--server",  # keep-alive connections, as a real API gateway offers
                "gunicorn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.http = httpx.Client(base_url=self.root, timeout=30)
        deadline = time.monotonic() + 120
        while True:
            try:
                self.http.get("/_sandbox/config").raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.close()
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.2)  # waiting for a child process to listen, not for a result

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.http.request(method, f"/_sandbox{path}", **kwargs)
        answer.raise_for_status()
        return answer.json()

    def latest_otp(self, email: str) -> str:
        return str(self.control("GET", "/mailbox", params={"email": email})["messages"][0]["code"])

    def close(self) -> None:
        self.http.close()
        self._process.terminate()
        self._process.wait(timeout=10)


def _populate(sandbox: SandboxProcess, partner_ids: list[int]) -> None:
    for index in range(USERS):
        grants = GRANT_SETS[index % len(GRANT_SETS)]
        spec = {
            "email": f"bench.{index:03d}@bench.migo",
            "password": BENCH_PASSWORD,
            "name": f"Bench User {index:03d}",
            "partners": partner_ids,
            "permissions": {str(pid): grants for pid in partner_ids},
            "lastLoginAt": "2025-01-01T00:00:00Z" if index % 7 == 0 else "2099-01-01T00:00:00Z",
        }
        sandbox.control("POST", "/users", json=spec)


def _five_partners(sandbox: SandboxProcess) -> list[int]:
    """The seeded partners plus new ones up to TARGET_PARTNERS, and an administrator assigned to all."""
    for index in range(TARGET_PARTNERS - 3):
        sandbox.control("POST", "/partners", json={"name": f"Bench Partner {index + 4}"})
    partner_ids = list(range(1, TARGET_PARTNERS + 1))
    sandbox.control(
        "POST",
        "/users",
        json={
            "email": ADMIN,
            "password": BENCH_PASSWORD,
            "name": "Bench Auditor",
            "partners": partner_ids,
            "permissions": {str(pid): ["users:*"] for pid in partner_ids},
        },
    )
    return partner_ids


def _sign_in(client: CmsClient, sandbox: SandboxProcess) -> MemoryTokenHolder:
    holder = MemoryTokenHolder()
    holder.save(client.auth.login(ADMIN, BENCH_PASSWORD).tokens)
    client.auth.request_otp(holder, ADMIN, "login")
    client.auth.verify_otp(holder, ADMIN, sandbox.latest_otp(ADMIN), "login")
    return holder


def _timed(
    client: CmsClient, holder: MemoryTokenHolder, partners: dict[int, str], workers: int
) -> tuple[float, int]:
    started = time.perf_counter()
    data = collect(client, holder, partners, workers=workers)
    return time.perf_counter() - started, sum(len(by_user) for by_user in data.grants.values())


class FanOutUpstream:
    """A transport-level stand-in for the CMS (`httpx.MockTransport`): every answer takes `LATENCY_MS` and
    costs next to no CPU, so the console's fan-out is measured on its own, at the full 200 users × 5
    partners. The sleep releases the GIL, exactly as waiting on a socket does."""

    def __init__(self, signing: KeyPair, partners: int) -> None:
        self._key = serialization.load_pem_private_key(signing.private_pem, password=None)
        self.partners = partners

    def _jwt(self, typ: str) -> str:
        now = int(time.time())
        claims = {
            "iss": AUDIENCE,
            "aud": AUDIENCE,
            "sub": f"merchant:{MERCHANT}",
            "typ": typ,
            "iat": now,
            "exp": now + 3600,
            "jti": f"{typ}-{now}",
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": "bench"})  # type: ignore[arg-type]

    def handle(self, request: httpx.Request) -> httpx.Response:
        time.sleep(LATENCY_MS / 1000)
        path = request.url.path.removeprefix("/cms/rest")
        if path == "/app/auth/login":
            data: Any = {"accessToken": self._jwt("app"), "refreshToken": self._jwt("app_refresh")}
        elif path.endswith("/users"):
            page, limit = int(request.url.params["page"]), int(request.url.params["limit"])
            ids = range((page - 1) * limit + 1, min(page * limit, USERS) + 1)
            items = [
                {
                    "id": i,
                    "email": f"bench.{i}@bench.migo",
                    "name": f"Bench {i}",
                    "status": "active",
                    "lastLoginAt": "2025-01-01T00:00:00Z",
                }
                for i in ids
            ]
            data = {
                "items": items,
                "page": page,
                "limit": limit,
                "total": USERS,
                "totalPages": -(-USERS // limit),
            }
        else:
            grants = GRANT_SETS[int(path.split("/")[3]) % len(GRANT_SETS)]
            data = {
                "permissions": [
                    {"permissionId": n, "resource": g.split(":")[0], "action": g.split(":")[1]}
                    for n, g in enumerate(grants, 1)
                ]
            }
        return httpx.Response(200, json={"success": True, "data": data})


def fan_out(signing: KeyPair, merchant: KeyPair) -> tuple[float, float, int]:
    upstream = FanOutUpstream(signing, TARGET_PARTNERS)
    client = CmsClient(
        CmsSettings(
            base_url="https://cms.bench.invalid/cms/rest",
            merchant=MERCHANT,
            merchant_private_key_pem=merchant.private_pem,
            upstream_public_key_pem=signing.public_pem,
        ),
        transport=httpx.MockTransport(upstream.handle),
    )
    holder = MemoryTokenHolder()
    far = int(time.time()) + 3600
    holder.save(
        UserTokens(access_token="bench", refresh_token="bench", access_expires_at=far, refresh_expires_at=far)  # noqa: S106
    )
    partners = {pid: f"Partner {pid}" for pid in range(1, TARGET_PARTNERS + 1)}
    parallel_s, pairs = _timed(client, holder, partners, DEFAULT_WORKERS)
    sequential_s, _ = _timed(client, holder, partners, 1)
    return parallel_s, sequential_s, pairs


def _report(title: str, parallel_s: float, sequential_s: float, pairs: int) -> None:
    print(title)
    print(f"  (user, partner) permission reads: {pairs}, upstream latency {LATENCY_MS} ms per call")
    print(f"  parallel ({DEFAULT_WORKERS} workers): {parallel_s:6.2f} s   bar ≤ {PARALLEL_BAR_S:.0f} s")
    print(f"  sequential (1 worker):   {sequential_s:6.2f} s   bar ≥ {SEQUENTIAL_BAR_S:.0f} s")
    print(
        f"  speed-up: {sequential_s / parallel_s:.1f}×   "
        f"({sequential_s / pairs * 1000:.1f} ms per read, sequential)"
    )


def main() -> None:
    signing, merchant = new_keypair(), new_keypair()
    parallel_s, sequential_s, pairs = fan_out(signing, merchant)
    _report(
        f"1. console fan-out, {USERS} users × {TARGET_PARTNERS} partners, transport-level upstream:",
        parallel_s,
        sequential_s,
        pairs,
    )
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxProcess(Path(tmp), signing, merchant)
        try:
            client = CmsClient(
                CmsSettings(
                    base_url=sandbox.base_url,
                    merchant=MERCHANT,
                    merchant_private_key_pem=merchant.private_pem,
                    upstream_public_key_pem=signing.public_pem,
                    max_pool=max(20, DEFAULT_WORKERS * 2),
                )
            )
            _five_partners(sandbox)
            holder = _sign_in(client, sandbox)
            partners = {p.partner_id: p.name for p in client.partners.list(holder)}
            _populate(sandbox, sorted(partners))
            sandbox.control("POST", "/config", json={"SANDBOX_LATENCY_MS": LATENCY_MS})
            parallel_s, pairs = _timed(client, holder, partners, DEFAULT_WORKERS)
            sequential_s, _ = _timed(client, holder, partners, 1)
        finally:
            sandbox.close()
    _report(
        f"2. through the sandbox over loopback HTTP, {USERS} users × {len(partners)} partners:",
        parallel_s,
        sequential_s,
        pairs,
    )
    print(
        "  the sandbox is one Python process sharing 2 cores with the console: its CPU per call, not the "
        "console's fan-out, bounds run 2 (run 1 measures the console alone)"
    )


if __name__ == "__main__":
    main()
