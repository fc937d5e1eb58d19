"""Cardholder list: console overhead on the 50-row page, and htmx fragment bytes versus the full page.

Overhead is what the console adds around the CMS: `total − upstream` from the page's own Server-Timing header
(the shell measures both), so the sandbox's speed does not count. Bars (README "Benchmarks"): p50 ≤ 5 ms,
p99 ≤ 25 ms; a page change as an htmx fragment ≤ 25 % of the full page's bytes.

A seeded sandbox and a console (gunicorn) run on loopback as separate processes, and an operator signs in
through the real pages.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import uuid
from pathlib import Path

import httpx

from bench.console_sign_in import add_operator, sign_in
from tests.support.keys import new_keypair
from tests.support.processes import console_environment, start_console, start_sandbox, write_keys

PARTNER = 1
WARM_UP = 30
REQUESTS = 300
P50_BAR_MS = 5.0
P99_BAR_MS = 25.0
FRAGMENT_BAR = 0.25
_TIMING = re.compile(r"(\w+);dur=([\d.]+)")


def _timings(response: httpx.Response) -> dict[str, float]:
    return {name: float(value) for name, value in _TIMING.findall(response.headers["Server-Timing"])}


def _overhead_ms(response: httpx.Response) -> float:
    timings = _timings(response)
    return timings["total"] - timings["upstream"]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _verdict(value: float, bar: float) -> str:
    return f"{'within' if value <= bar else 'OVER'} the bar of {bar:g} ({value / bar:.0%} of it)"


def main() -> None:
    """The sandbox and the console each in a process of their own, as in production, so the sandbox's work
    never competes with the console's for one interpreter; the console under gunicorn (gthread)."""
    with tempfile.TemporaryDirectory(prefix="bench-cardholders-") as tmp:
        workdir = Path(tmp)
        keys = write_keys(workdir, new_keypair(), new_keypair())
        sandbox = start_sandbox(workdir, keys, server="gunicorn")
        console = None
        try:
            env = console_environment(
                sandbox.url,
                keys,
                workdir / "console",
                LOGIN_RATE_LIMIT="1000 per minute",
                SERVER_TIMING="true",  # off by default; the overhead figure is read from it
            )
            console = start_console(workdir, "console", env, workers=1, threads=4)
            email = f"bench-{uuid.uuid4().hex[:8]}@test.migo"
            control = httpx.Client(base_url=f"{sandbox.url}/_sandbox", timeout=30)
            add_operator(control, email, PARTNER, ["cardholders:list", "cardholders:detail"])

            with httpx.Client(base_url=console.url, timeout=30) as http:
                sign_in(http, control, email)
                _measure(http)
        finally:
            if console is not None:
                console.stop()
            sandbox.stop()


def _measure(http: httpx.Client) -> None:
    url = f"/p/{PARTNER}/cardholders/"
    for _ in range(WARM_UP):
        http.get(url).raise_for_status()
    overheads: list[float] = []
    renders: list[float] = []
    for _ in range(REQUESTS):
        response = http.get(url)
        response.raise_for_status()
        if response.text.count("<tr data-row>") != 50:
            raise RuntimeError("the list page did not show 50 rows")
        overheads.append(_overhead_ms(response))
        renders.append(_timings(response)["render"])
    p50, p99 = _percentile(overheads, 0.50), _percentile(overheads, 0.99)
    print(f"50-row list page, {REQUESTS} requests after {WARM_UP} warm-up (console = total − upstream):")
    print(f"  p50 {p50:.2f} ms — {_verdict(p50, P50_BAR_MS)}")
    print(f"  p99 {p99:.2f} ms — {_verdict(p99, P99_BAR_MS)}")
    print(f"  mean {statistics.fmean(overheads):.2f} ms, max {max(overheads):.2f} ms")
    print(f"  of which template rendering: p50 {_percentile(renders, 0.5):.2f} ms")

    full = http.get(f"{url}?page=2")
    fragment = http.get(f"{url}?page=2", headers={"HX-Request": "true", "HX-Target": "cardholder-results"})
    ratio = len(fragment.content) / len(full.content)
    print(
        f"page change to page 2: htmx fragment {len(fragment.content):,} B "
        f"vs full page {len(full.content):,} B "
        f"= {ratio:.1%} — {_verdict(ratio, FRAGMENT_BAR)}"
    )
    # What a full navigation loads when nothing is cached: the document plus its stylesheets and scripts.
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', full.text)
    asset_bytes = sum(len(http.get(path).content) for path in assets)
    with_assets = len(fragment.content) / (len(full.content) + asset_bytes)
    print(
        f"  with the page's {len(assets)} stylesheets and scripts ({asset_bytes:,} B), as a cold load: "
        f"{with_assets:.1%} — {_verdict(with_assets, FRAGMENT_BAR)}"
    )


if __name__ == "__main__":
    main()
