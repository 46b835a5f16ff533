"""Merging the reports of shards (``--claims-shard i/n``, e.g. a SLURM job array) into one:
``python -m harness.claims.report merge --out DIR shard*/claims.json``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from harness.claims.report import ClaimRun, write_reports


NONFINITE = ("nan", "inf", "-inf")  # how claims.json writes them (``plain(..., nonfinite_as_text=True)``)


def measured_numbers(measurement: dict[str, Any]) -> dict[str, Any]:
    """A measurement read from claims.json with its non-finite value and threshold as floats again."""
    return {k: float(v) if k in ("value", "threshold") and v in NONFINITE else v for k, v in measurement.items()}


def claim_runs(record: dict[str, Any]) -> list[ClaimRun]:
    """The claims of a ``claims.json`` record; verdicts and fragile flags are recomputed on write."""
    return [ClaimRun(**{k: v for k, v in claim.items() if k not in ("verdict", "fragile", "measurements")},
                     measurements=[measured_numbers(m) for m in claim["measurements"]]) for claim in record["claims"]]


def merge_records(records: list[tuple[str, dict[str, Any]]]) -> tuple[list[ClaimRun], dict[str, Any]]:
    """(every shard's claims, the shards' run info) from ``(path, claims.json record)`` pairs; a
    claim in two shards is an error (shards of different runs, or overlapping selections)."""
    runs: dict[str, tuple[str, ClaimRun]] = {}
    for path, record in records:
        for run in claim_runs(record):
            if run.nodeid in runs:
                raise ValueError(f"{run.nodeid} is in both {runs[run.nodeid][0]} and {path}: are these shards of one run?")
            runs[run.nodeid] = (path, run)
    infos = [record["run"] for _, record in records]
    merged = {
        "started": min(info["started"] for info in infos),
        "finished": max(info["finished"] for info in infos),
        "duration_s": max(info["duration_s"] for info in infos),  # the shards ran side by side
        "exitstatus": max(info["exitstatus"] for info in infos),
        "shards": [{"report": path, **record["run"]} for path, record in records],
    }
    return [run for _, run in runs.values()], merged


def read_records(paths: list[Path]) -> list[tuple[str, dict[str, Any]]]:
    return [(str(path), json.loads(path.read_text())) for path in paths]


def started_timestamp(run_info: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(run_info["started"]).timestamp()


def merge(paths: list[Path], report_dir: Path) -> list[Path]:
    """Write the report of the shards' ``claims.json`` files into ``report_dir``."""
    runs, merged = merge_records(read_records(paths))
    return write_reports(runs, report_dir, started=started_timestamp(merged), exitstatus=merged["exitstatus"],
                         args=["merged from", *map(str, paths)], merged=merged)
