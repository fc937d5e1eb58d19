"""Figures of a load run: throughput, latency percentiles per action and overall, errors, the verdict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bench.load_operator import Sample


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list (no interpolation: a reported p99 was really seen)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    label: str
    seconds: float
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    max_ms: float
    per_action: dict[str, tuple[int, float, float]]  # action → (count, p50, p99)
    error_kinds: dict[str, int]
    # Where the time went (p50, p99): inside the console (Server-Timing total), of it waiting on the CMS
    # client (Server-Timing upstream), and the sandbox's own handling time per API call (its call log).
    console_ms: tuple[float, float] | None = None
    console_upstream_ms: tuple[float, float] | None = None
    sandbox_call_ms: tuple[float, float] | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def passed(self, p99_bar_ms: float) -> bool:
        return self.requests > 0 and self.errors == 0 and self.p99 <= p99_bar_ms

    def report(self, p99_bar_ms: float) -> str:
        verdict = "PASS" if self.passed(p99_bar_ms) else "FAIL"
        lines = [
            f"\n-- {self.label} --",
            f"  {self.requests} requests in {self.seconds:.1f} s = {self.rate:.1f} req/s, "
            f"errors {self.errors}",
            f"  latency ms: p50 {self.p50:.1f}  p95 {self.p95:.1f}  p99 {self.p99:.1f}  "
            f"max {self.max_ms:.1f}",
        ]
        for action, (count, p50, p99) in sorted(self.per_action.items()):
            lines.append(f"    {action:<14} {count:>6}  p50 {p50:7.1f}  p99 {p99:7.1f}")
        for name, pair in (
            ("inside the console", self.console_ms),
            ("  of it upstream", self.console_upstream_ms),
            ("sandbox per call", self.sandbox_call_ms),
        ):
            if pair is not None:
                lines.append(f"    {name:<20} p50 {pair[0]:7.1f}  p99 {pair[1]:7.1f}")
        for kind, count in sorted(self.error_kinds.items()):
            lines.append(f"    error {kind}: {count}")
        lines.append(f"  verdict against the bar (no errors, p99 ≤ {p99_bar_ms:.0f} ms): {verdict}")
        return "\n".join(lines)


def _pair(values: list[float]) -> tuple[float, float] | None:
    return (percentile(values, 0.50), percentile(values, 0.99)) if values else None


def summarise(
    label: str, samples: list[Sample], seconds: float, sandbox_call_ms: list[float] | None = None
) -> Summary:
    if not samples:
        return Summary(label, seconds, 0, 0, 0.0, 0.0, 0.0, 0.0, {}, {})
    all_ms = [s.ms for s in samples]
    by_action: dict[str, list[float]] = {}
    for sample in samples:
        by_action.setdefault(sample.action, []).append(sample.ms)
    failures = [s for s in samples if not s.ok]
    return Summary(
        label=label,
        seconds=seconds,
        requests=len(samples),
        errors=len(failures),
        p50=percentile(all_ms, 0.50),
        p95=percentile(all_ms, 0.95),
        p99=percentile(all_ms, 0.99),
        max_ms=max(all_ms),
        per_action={
            action: (len(values), percentile(values, 0.50), percentile(values, 0.99))
            for action, values in by_action.items()
        },
        error_kinds=dict(Counter(f"{s.action}: {s.detail}" for s in failures)),
        console_ms=_pair([s.server_ms for s in samples if s.server_ms is not None]),
        console_upstream_ms=_pair([s.upstream_ms for s in samples if s.upstream_ms is not None]),
        sandbox_call_ms=_pair(sandbox_call_ms or []),
    )
