"""What every benchmark prints: a heading per phase, the kind of each SQL statement, and the
summary table of figures against their targets."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    measured: str
    target: str
    of_target: float
    ok: bool | None  # None: the phase broke


# A phase of a benchmark: the parsed arguments in, its rows of the summary out.
Phase = Callable[[argparse.Namespace], list[Row]]


def heading(text: str) -> None:
    print(f"\n=== {text} " + "=" * max(0, 86 - len(text)), flush=True)


def statement_kind(sql: str) -> str:
    """`SELECT clinic_patient FOR UPDATE`, `UPDATE scheduling_slot`, `COMMIT`: enough to tell
    the statements apart (the table is the first one outside any subquery)."""
    text = sql.replace('"', "")
    verb = text.split(None, 1)[0].upper()
    depth, top_level = 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        top_level.append(char if depth == 0 and char != ")" else " ")
    words = "".join(top_level).split()
    upper = [w.upper() for w in words]
    table = ""
    if verb == "SELECT" and "FROM" in upper:
        table = words[upper.index("FROM") + 1]
    elif verb in ("INSERT", "DELETE") and len(words) > 2:
        table = words[2]
    elif verb == "UPDATE" and len(words) > 1:
        table = words[1]
    suffix = " FOR UPDATE" if verb == "SELECT" and "FOR UPDATE" in " ".join(upper) else ""
    return f"{verb} {table}{suffix}".strip()


def run_benchmark(
    build: Callable[[argparse.Namespace], object],
    phases: list[tuple[Phase, list[str]]],
    args: argparse.Namespace,
) -> int:
    """Build the data set, then run the phases: 2 if the data set could not be built, else what
    `run_phases` answers."""
    began = time.perf_counter()
    try:
        build(args)
    except Exception:
        traceback.print_exc()
        print("\nFAILED: the data set could not be built.", file=sys.stderr)
        return 2
    return run_phases(phases, args, began)


def run_phases(phases: list[tuple[Phase, list[str]]], args: argparse.Namespace, began: float) -> int:
    """Run each phase, print the summary table; 1 if a phase broke (the others still run). Each
    phase comes with the names of its rows, shown as errors if it breaks."""
    rows: list[Row] = []
    broken = False
    for phase, names in phases:
        try:
            rows += phase(args)
        except Exception:  # a broken phase is reported and fails the run; the others still run
            traceback.print_exc()
            broken = True
            rows += [Row(name, "(the phase failed: see above)", "", float("nan"), None) for name in names]

    heading("Summary")
    print(f"{'figure':<30} {'measured':<62} {'target':<8} {'/target':>7}  result")
    for row in rows:
        result = "ERROR" if row.ok is None else "PASS" if row.ok else "FAIL"
        print(f"{row.name:<30} {row.measured:<62} {row.target:<8} {row.of_target:>7.2f}  {result}")
    print("(/target: measured divided by target; a limit holds at or below 1, a minimum at or above 1)")
    passed = sum(1 for row in rows if row.ok)
    print(f"\n{passed}/{len(rows)} targets met; whole run {time.perf_counter() - began:.0f} s.")
    return 1 if broken else 0
