"""The run history: every report appends a compact record of its run (run info, and each
claim's verdict and measured values) to ``reports/history/``, one JSON file per run, keeping
the last ``KEEP`` runs. ``claims.html`` draws each claim's verdicts over them and names the two
runs (with their versions) between which a verdict changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.claims.identity import weights_of

KEEP = 50  # runs kept; older files are deleted when a run is appended
DIRNAME = "history"


def compact(record: dict[str, Any]) -> dict[str, Any]:
    """The run info, ``{nodeid: {"verdict", "values": {measurement: value}}}`` and the weight
    hash of each loaded (model, seed) (``identity.weights_of``) of a ``claims.json`` record."""
    return {
        "run": record["run"],
        "weights": weights_of(record["claims"]),
        "claims": {
            c["nodeid"]: {"verdict": c["verdict"], "values": {m["name"]: m["value"] for m in c["measurements"]}}
            for c in record["claims"]
        },
    }


def append(report_dir: Path, record: dict[str, Any], keep: int = KEEP) -> dict[str, Any]:
    """Write the run's compact record as ``history/<finished>-<n>.json`` (``n`` numbers runs
    finished in the same second), delete all but the newest ``keep`` files, and return the
    record as ``load`` will read it."""
    directory = report_dir / DIRNAME
    directory.mkdir(parents=True, exist_ok=True)
    stem = record["run"]["finished"].replace(":", "")
    n = max((int(p.stem.rsplit("-", 1)[1]) + 1 for p in directory.glob(f"{stem}-*.json")), default=0)
    path = directory / f"{stem}-{n:03d}.json"
    text = json.dumps(compact(record), allow_nan=False)
    path.write_text(text)
    for old in files(report_dir)[:-keep]:
        old.unlink()
    return json.loads(text)


def files(report_dir: Path) -> list[Path]:
    """The history files, oldest first (their names sort by the run's finishing time)."""
    directory = report_dir / DIRNAME
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def load(report_dir: Path) -> list[dict[str, Any]]:
    """The compact records of the kept runs, oldest first (unreadable files are left out)."""
    runs = []
    for path in files(report_dir):
        try:
            runs.append(json.loads(path.read_text()))
        except ValueError:
            continue
    return runs
