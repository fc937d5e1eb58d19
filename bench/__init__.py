"""Benchmarks: each `bench/bench_*.py` has a `main() -> None` that prints its figures and ratios."""
