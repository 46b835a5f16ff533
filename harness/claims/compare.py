"""Compare two runs' ``claims.json``: which claims changed verdict, and which measurements
moved by more than a relative tolerance (two versions of a library, a CPU run against a GPU
run). ``python -m harness.claims.report compare A.json B.json [--rtol 0.05]``."""

from __future__ import annotations

import math
from typing import Any

from harness.claims.html import number, short


def moved(a: Any, b: Any, rtol: float) -> bool:
    """Whether ``b`` differs from ``a`` by more than ``rtol`` relative to ``|a|`` (from or to a
    non-finite value: moved unless both are the same)."""
    x, y = number(a), number(b)
    if not (math.isfinite(x) and math.isfinite(y)):
        return not (x == y or (math.isnan(x) and math.isnan(y)))
    return abs(y - x) > rtol * abs(x)


def compare(a: dict[str, Any], b: dict[str, Any], rtol: float = 0.05) -> list[str]:
    """Readable lines: the claims (node ids) whose verdict changed from record ``a`` to ``b``,
    the measurements that moved by more than ``rtol``, and the claims only one run has."""
    old = {c["nodeid"]: c for c in a["claims"]}
    new = {c["nodeid"]: c for c in b["claims"]}
    changed, shifted = [], []
    for nodeid in sorted(old.keys() & new.keys()):
        before, after = old[nodeid], new[nodeid]
        if before["verdict"] != after["verdict"]:
            changed.append(f"  {nodeid}: {before['verdict']} -> {after['verdict']}")
        values = {m["name"]: m["value"] for m in before["measurements"]}
        for m in after["measurements"]:
            if m["name"] in values and moved(values[m["name"]], m["value"], rtol):
                shifted.append(f"  {nodeid}: {m['name']} {short(values[m['name']])} -> {short(m['value'])} (threshold {m['op']} {short(m['threshold'])})")
    lines = [f"A: {label(a)}", f"B: {label(b)}", f"{len(changed)} claims changed verdict", *changed,
             f"{len(shifted)} measurements moved by more than {rtol:g} (relative)", *shifted]
    for name, only in (("A", old.keys() - new.keys()), ("B", new.keys() - old.keys())):
        if only:
            lines += [f"{len(only)} claims only in {name}", *(f"  {n}" for n in sorted(only))]
    return lines


def label(record: dict[str, Any]) -> str:
    run = record["run"]
    versions = run.get("versions", {})
    return (f"{run.get('finished')} · commit {((run.get('git') or {}).get('commit') or 'unknown')[:10]} · "
            f"torch {versions.get('torch')} · transformer_lens {versions.get('transformer_lens')} · device {run.get('device', 'not recorded')}")
