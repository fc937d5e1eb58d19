"""CPU seconds spent by each process of a load run, read from Linux's /proc (nothing elsewhere).

On a 2-core machine the console, the sandbox, the load client, Redis and PostgreSQL share the cores; how the
CPU was split says which of them sets the latency. A process tree (gunicorn's master and its workers) counts
as one entry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) of one live process, or None when it is gone."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after its closing parenthesis.
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _process_table() -> dict[int, tuple[int, float]]:
    table: dict[int, tuple[int, float]] = {}
    for entry in _PROC.iterdir() if _PROC.is_dir() else ():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                table[int(entry.name)] = found
    return table


def _command(pid: int) -> str:
    try:
        return (_PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


def snapshot(roots: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process tree, and of Redis and PostgreSQL by command name."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _cpu) in table.items():
        children.setdefault(parent, []).append(pid)

    named = set(roots.values())

    def tree(pid: int) -> float:
        # A named child (the sandbox started by the load client) is counted under its own name only.
        own = table.get(pid, (0, 0.0))[1]
        return own + sum(tree(child) for child in children.get(pid, ()) if child not in named)

    totals = {name: tree(pid) for name, pid in roots.items()}
    for label, prefix in (("redis", "redis-server"), ("postgresql", "postgres")):
        totals[label] = sum(cpu for pid, (_p, cpu) in table.items() if _command(pid).startswith(prefix))
    return totals


def spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy since boot, every process counted (/proc/stat): beside
    `snapshot`, it tells how much of the cores other work took during a run."""
    try:
        first = (_PROC / "stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return 0.0
    ticks = [int(value) for value in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS
