"""Percentiles and the figures the report prints."""

from __future__ import annotations

import math
from dataclasses import dataclass


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was actually measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Latency:
    n: int
    p50: float
    p95: float
    mean: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> Latency:
        return cls(
            n=len(samples_ms),
            p50=percentile(samples_ms, 50),
            p95=percentile(samples_ms, 95),
            mean=sum(samples_ms) / len(samples_ms) if samples_ms else math.nan,
        )

    def __str__(self) -> str:
        return f"p50 {self.p50:7.2f} ms   p95 {self.p95:7.2f} ms   mean {self.mean:7.2f} ms   (n={self.n})"
