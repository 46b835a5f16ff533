"""Is a pass more than noise? Margins of each measurement against the spread across seeds, and the
*fragile* flag of a claim that holds by less than that spread or by a single count.

A flag is information for the reader: thresholds never move because of it.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from typing import Any, Iterable

MIN_SEEDS = 3  # a spread across fewer seeds says little
HOLDING = ("holds", "unexpectedly-holds", "machine-dependent-holds")


def margin(value: float, op: str, threshold: float) -> float | None:
    """How far ``value`` lies on the holding side of ``threshold`` (negative: the failing side);
    ``None`` for ``==`` / ``!=``, which have no direction."""
    if op in (">", ">="):
        return value - threshold
    if op in ("<", "<="):
        return threshold - value
    return None


def holds_by_one_count(value: float, op: str, threshold: float) -> bool:
    """A count (integral value and threshold) one step from failing: 14 > 13, or 5 >= 5."""
    gap = margin(value, op, threshold)
    if gap is None or not (float(value).is_integer() and float(threshold).is_integer()):
        return False
    return gap == (1 if op in (">", "<") else 0)


@dataclasses.dataclass
class Spread:
    """One measurement of one claim on one model, across its seeds."""

    name: str
    margins: dict[int, float]  # seed -> margin
    std: float  # sample standard deviation of the measured values across the seeds

    def text(self) -> str:
        per_seed = " / ".join(f"{m:.3g}" for _, m in sorted(self.margins.items()))
        return f"{self.name}: margin {per_seed} (seeds {', '.join(map(str, sorted(self.margins)))}), seed std {self.std:.3g}"


def spreads(runs: Iterable[Any]) -> list[Spread]:
    """``Spread`` of every directed expectation measured on >= ``MIN_SEEDS`` seeds of the runs
    (``ClaimRun``s of one claim on one model)."""
    values: dict[str, dict[int, tuple[float, float]]] = defaultdict(dict)
    for run in runs:
        for m in run.measurements:
            gap = margin(m["value"], m["op"], m["threshold"]) if isinstance(m["value"], (int, float)) else None
            if gap is not None and not m.get("precondition") and m["passed"] is not None:
                values[m["name"]][run.seed] = (m["value"], gap)
    return [
        Spread(name, {seed: gap for seed, (_, gap) in by_seed.items()}, statistics.stdev(v for v, _ in by_seed.values()))
        for name, by_seed in values.items()
        if len(by_seed) >= MIN_SEEDS
    ]


def fragile_reasons(runs: list[Any]) -> dict[str, str]:
    """nodeid -> why a run that holds is fragile: a measurement holds by less than one seed
    standard deviation (claims on >= ``MIN_SEEDS`` seeds of a model), or by a single count."""
    by_model: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for run in runs:
        by_model[run.file, run.claim, run.model].append(run)
    reasons: dict[str, list[str]] = defaultdict(list)
    for group in by_model.values():
        holding = {run.seed: run for run in group if run.verdict in HOLDING}
        for spread in spreads(group):
            for seed, gap in spread.margins.items():
                if seed in holding and 0 <= gap < spread.std:
                    reasons[holding[seed].nodeid].append(f"{spread.name} holds by {gap:.3g} < seed std {spread.std:.3g}")
        for run in holding.values():
            for m in run.measurements:
                # records older than the ``count`` field: any integral value counted
                if not m.get("precondition") and m["passed"] and m.get("count", True) \
                        and holds_by_one_count(m["value"], m["op"], m["threshold"]):
                    reasons[run.nodeid].append(f"{m['name']} holds by one count ({m['value']:g} {m['op']} {m['threshold']:g})")
    return {nodeid: "; ".join(dict.fromkeys(why)) for nodeid, why in reasons.items()}
