"""One simulated operator for the load benchmark: signs in through the real pages, then browses.

Each operator is a thread with its own httpx client (its own cookie jar). With several console nodes the
operator sends each request to the next node in turn, carrying the same cookies: the nodes must behave as one
console (shared sessions in Redis, shared store in PostgreSQL). Cookies do not depend on the port, so one
jar serves every node on 127.0.0.1.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import cycle

import httpx

PARTNER = 1
PASSWORD = "Bench-Load-2026!"  # noqa: S105 - throw-away sandbox operators
PERMISSIONS = ["cardholders:list", "cardholders:detail", "balance-management:list", "approvals:list"]
SEARCH_TERMS = ("ana", "maria", "lopez", "garcia", "juan", "perez", "carlos", "rosa")
KEEPALIVE_SECONDS = 4.0  # under gunicorn.conf.py's keepalive (5 s)
_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_DETAIL_LINK = re.compile(rf"/p/{PARTNER}/cardholders/(\d+)\b")


_TIMING = re.compile(r"(\w+);dur=([\d.]+)")


@dataclass
class Sample:
    """One request as the operator saw it, plus the console's own Server-Timing split when it sent one."""

    action: str
    ms: float
    ok: bool
    detail: str = ""
    server_ms: float | None = None
    upstream_ms: float | None = None
    ended: float = field(default_factory=time.monotonic)  # when it was recorded, to place slow ones in a run


def _server_timing(response: httpx.Response) -> tuple[float | None, float | None]:
    timings = {
        name: float(value) for name, value in _TIMING.findall(response.headers.get("server-timing", ""))
    }
    return timings.get("total"), timings.get("upstream")


@dataclass
class Recorder:
    """Every request's outcome, shared by all operator threads."""

    samples: list[Sample] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)


class SignInFailed(RuntimeError):
    pass


def _csrf(html: str) -> str:
    found = _CSRF_INPUT.search(html) or _CSRF_META.search(html)
    if found is None:
        raise SignInFailed("no CSRF token on the page")
    return found.group(1)


class SimulatedOperator:
    """Signs in once, then loops over weighted browsing actions until the stop time."""

    def __init__(self, email: str, nodes: Sequence[str], otp_for: Callable[[str], str], seed: int) -> None:
        self.email = email
        self._nodes = cycle(nodes)
        self._otp_for = otp_for
        self._rng = random.Random(seed)
        # Idle connections are dropped before gunicorn's own 5 s keep-alive ends, as browsers do: reusing one
        # the server is closing at that moment fails the request on the client's side, not the console's.
        self._http = httpx.Client(
            timeout=30, follow_redirects=False, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS)
        )
        self._csrf = ""
        self._cardholders: list[int] = []
        self._pages = 1

    def close(self) -> None:
        self._http.close()

    def _url(self, path: str) -> str:
        return next(self._nodes) + path

    # -- sign-in (not measured: it is the rate-limited step, not browsing) ------------------------------
    def sign_in(self) -> None:
        page = self._http.get(self._url("/auth/login"))
        step = self._http.post(
            self._url("/auth/login"),
            data={"email": self.email, "password": PASSWORD, "csrf_token": _csrf(page.text)},
        )
        if step.status_code not in (302, 303):
            raise SignInFailed(f"password step: HTTP {step.status_code}")
        page = self._http.get(self._url("/auth/otp"))
        done = self._http.post(
            self._url("/auth/otp"), data={"otp": self._otp_for(self.email), "csrf_token": _csrf(page.text)}
        )
        if done.status_code not in (302, 303) or "/auth/" in done.headers.get("location", ""):
            raise SignInFailed(f"code step: HTTP {done.status_code}")
        first = self._http.get(self._url(f"/p/{PARTNER}/cardholders/"))
        if first.status_code != 200:
            raise SignInFailed(f"first list: HTTP {first.status_code}")
        self._learn(first.text)

    def _learn(self, html: str) -> None:
        """Keep the CSRF token and some cardholder ids seen on a page, for later searches and details."""
        token = _CSRF_META.search(html) or _CSRF_INPUT.search(html)
        if token:
            self._csrf = token.group(1)
        ids = [int(i) for i in _DETAIL_LINK.findall(html)]
        if ids:
            self._cardholders = (self._cardholders + ids)[-200:]

    # -- browsing ----------------------------------------------------------------------------------------
    def _timed(self, recorder: Recorder, action: str, send: Callable[[], httpx.Response]) -> str:
        started = time.perf_counter()
        try:
            response = send()
        except httpx.HTTPError as exc:
            recorder.add(Sample(action, (time.perf_counter() - started) * 1000, False, type(exc).__name__))
            return ""
        ms = (time.perf_counter() - started) * 1000
        # Any redirect while browsing means the session was lost (sign-in page): that is an error here.
        ok = response.status_code == 200
        server_ms, upstream_ms = _server_timing(response)
        recorder.add(
            Sample(action, ms, ok, "" if ok else f"HTTP {response.status_code}", server_ms, upstream_ms)
        )
        return response.text if ok else ""

    def _fragment_headers(self, target: str) -> dict[str, str]:
        return {"HX-Request": "true", "HX-Target": target, "X-CSRFToken": self._csrf}

    def step(self, recorder: Recorder) -> None:
        roll = self._rng.random()
        base = f"/p/{PARTNER}/cardholders/"
        if roll < 0.15:
            self._timed(recorder, "dashboard", lambda: self._http.get(self._url(f"/p/{PARTNER}/")))
        elif roll < 0.35:
            html = self._timed(recorder, "list", lambda: self._http.get(self._url(base)))
            self._learn(html)
        elif roll < 0.55:
            page = self._rng.randint(1, 20)
            html = self._timed(
                recorder,
                "page (htmx)",
                lambda: self._http.get(
                    self._url(f"{base}?page={page}"), headers=self._fragment_headers("cardholder-results")
                ),
            )
            self._learn(html)
        elif roll < 0.70:
            term = self._rng.choice(SEARCH_TERMS)
            html = self._timed(
                recorder,
                "search (htmx)",
                lambda: self._http.post(
                    self._url(f"{base}search"),
                    data={"q": term},
                    headers=self._fragment_headers("cardholder-results"),
                ),
            )
            self._learn(html)
        elif self._cardholders:
            chosen = self._rng.choice(self._cardholders)
            self._timed(recorder, "detail", lambda: self._http.get(self._url(f"{base}{chosen}")))
        else:
            self._timed(recorder, "list", lambda: self._http.get(self._url(base)))

    def browse(
        self, recorder: Recorder, until: float, think: tuple[float, float], *, stagger: bool = True
    ) -> None:
        """Click, read for a while (`think` seconds, uniform), click again, until `until`.

        Each operator first waits one think time of its own, as people who signed in at different moments
        would: without it (`stagger=False`) all fifty click at the same instant and the tail of the run is
        that one stampede.
        """
        if stagger:
            time.sleep(self._rng.uniform(*think))
        while time.monotonic() < until:
            self.step(recorder)
            time.sleep(self._rng.uniform(*think))
