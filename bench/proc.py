"""CPU time of processes, read from Linux's /proc: the benchmarks' CPU accounting."""

from __future__ import annotations

import os

TICK = os.sysconf("SC_CLK_TCK")


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 on), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:  # gone, or not Linux
        return None


def pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def cpu_s(fields: list[str] | None, *, reaped: bool = False) -> float:
    """utime + stime (fields 14, 15 of /proc/<pid>/stat); with `reaped`, also the children's
    that the process waited for (cutime + cstime)."""
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK
