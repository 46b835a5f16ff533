"""The claims report: ``claims.json`` (the complete record), ``claims.md`` (a matrix of
claims x (model, seed) with verdicts and measured values, a summary per problem, and the
verdicts that flipped since the previous run) and ``claims.html`` (``harness.claims.html``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness.claims import history
from harness.claims.evidence import format_value
from harness.claims.html import ground_truth, render_html
from harness.claims.identity import identity_warnings
from harness.claims.problems import known_problems
from harness.claims.robustness import MIN_SEEDS, fragile_reasons, spreads
from harness.models.passes import describe as describe_passes
from harness.plain import plain

VERDICTS = ("holds", "refuted-as-expected", "fails", "unexpectedly-holds", "inconclusive",
            "machine-dependent-holds", "machine-dependent-fails", "error", "skipped", "not-run")
SYMBOL = {
    "holds": "✅ holds",
    "refuted-as-expected": "☑️ refuted (as expected)",
    "fails": "❌ fails",
    "unexpectedly-holds": "⚠️ holds, marked refuted",
    "inconclusive": "🟡 inconclusive",
    "machine-dependent-holds": "〰️ holds here (machine-dependent)",
    "machine-dependent-fails": "〰️ fails here (machine-dependent)",
    "error": "💥 error",
    "skipped": "⏭️ skipped",
    "not-run": "… not run",
}


@dataclasses.dataclass
class ClaimRun:
    """One claim on one (model, seed), as gathered by the plugin."""

    nodeid: str
    claim: str
    file: str
    problem: str
    statement: str
    expected: str  # "holds", "refuted" or "machine-dependent"
    refuted_reason: str | None
    model: str
    seed: int
    docstring: str = ""  # the test function's: the threshold and its source
    outcome: str | None = None  # holds / fails / inconclusive / error / skipped; None: did not finish
    message: str = ""
    measurements: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    notes: dict[str, Any] = dataclasses.field(default_factory=dict)
    attachments: dict[str, str] = dataclasses.field(default_factory=dict)
    neuron_pages: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # ``Evidence.show_neuron``'s
    duration: float = 0.0  # the claim body
    setup_duration: float = 0.0  # loading (or training) the model, and other fixtures
    machine_dependent_reason: str | None = None
    fragile: str | None = None  # why a pass may be noise (``harness.claims.robustness``)
    # the model as measured: weight sha256, device, dtype (``harness.models.memory_cache.provenance``)
    provenance: dict[str, str | None] = dataclasses.field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.outcome is None:
            return "not-run"
        if self.expected == "refuted" and self.outcome in ("fails", "holds"):
            return "refuted-as-expected" if self.outcome == "fails" else "unexpectedly-holds"
        if self.expected == "machine-dependent" and self.outcome in ("fails", "holds"):
            return f"machine-dependent-{self.outcome}"
        return self.outcome

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "verdict": self.verdict}


# every installed package that can change a measured value
VALUE_PACKAGES = ("torch", "transformer-lens", "transformers", "numpy", "safetensors", "gguf")


def versions() -> dict[str, str | None]:
    """Python, the platform and ``VALUE_PACKAGES`` (``None``: not installed), keyed as
    ``transformer_lens``."""
    import torch

    found = {"python": platform.python_version(), "platform": platform.platform()}
    for package in VALUE_PACKAGES:
        try:
            found[package.replace("-", "_")] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package.replace("-", "_")] = None
    found["torch"] = torch.__version__  # the imported build (e.g. 2.13.0+cpu)
    return found


def git_state(repo: Path = Path(__file__).resolve().parents[1]) -> dict[str, Any]:
    """The project's commit and whether its tracked files differ from it (``None`` outside a
    git checkout, e.g. an installed wheel)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def machine() -> str:
    """Host name, CPU and core count: where the values were measured."""
    return f"{platform.node()} · {platform.machine()} {platform.processor() or ''} · {os.cpu_count()} cores"


def device() -> str:
    """The accelerator the run could use (claims choose their own device; see each claim's provenance)."""
    import torch

    return f"cuda: {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "cpu"


def environment() -> dict[str, Any]:
    """Where a run measured: versions, commit, machine and device (a report's ``run`` fields)."""
    return {"versions": versions(), "git": git_state(), "machine": machine(), "device": device()}


def flips(previous: list[dict[str, Any]], current: list[ClaimRun]) -> list[tuple[str, str, str]]:
    """(nodeid, old verdict, new verdict) for claims whose verdict changed since ``previous``
    (records of an older format, without a node id or verdict, are ignored)."""
    old = {r["nodeid"]: r["verdict"] for r in previous if isinstance(r, dict) and {"nodeid", "verdict"} <= r.keys()}
    return [
        (run.nodeid, old[run.nodeid], run.verdict)
        for run in current
        if run.nodeid in old and old[run.nodeid] != run.verdict and run.verdict != "not-run"
    ]


def table_cell(text: str) -> str:
    """``text`` safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def measurement_text(run: ClaimRun) -> str:
    parts = []
    for m in run.measurements:
        mark = "✓" if m["passed"] else ("✗" if m["passed"] is False else "not finite")
        required = "requires " if m.get("precondition") else ""
        spread = m.get("spread")
        per_example = (f"; per example: median {spread['median']:.3g}, 10–90% {spread['q10']:.3g}…{spread['q90']:.3g}, "
                       f"min {spread['min']:.3g}, max {spread['max']:.3g}, n = {spread['n']}") if spread else ""
        parts.append(f"{required}{m['name']} = {format_value(m['value'])} ({m['op']} {format_value(m['threshold'])} {mark}{per_example})")
    return table_cell("<br>".join(parts) or run.message[:200])


def attachment_links(runs: list[ClaimRun], report_dir: Path) -> list[str]:
    """Markdown image links (relative to the report) for the runs' attached plots."""
    links = []
    for run in sorted(runs, key=lambda r: (r.model, r.seed)):
        for title, path in run.attachments.items():
            rel = os.path.relpath(path, report_dir)
            links.append(f"![{title} ({run.model}, seed {run.seed})]({rel})")
    return links


def neuron_page_line(runs: list[ClaimRun]) -> list[str]:
    """One line naming the runs' neuron pages (``Evidence.show_neuron``; the pages are in the HTML report)."""
    pages = [f"layer {p['layer']} neuron {p['neuron']} ({run.model}, seed {run.seed}; max {p['max activation']:.3g}, "
             f"top-token share {p['top-token share']:.2g})"
             for run in sorted(runs, key=lambda r: (r.model, r.seed)) for p in run.neuron_pages]
    return [f"Neuron pages (HTML report): {'; '.join(pages)}", ""] if pages else []


def verdict_text(run: ClaimRun) -> str:
    return SYMBOL[run.verdict] + (" · 🔸 fragile" if run.fragile else "")


def spread_lines(group: list[ClaimRun]) -> list[str]:
    """Per model run on >= ``MIN_SEEDS`` seeds: each measurement's margin per seed against the
    spread across seeds, and why a pass is fragile."""
    lines = []
    for model in sorted({r.model for r in group}):
        runs = [r for r in group if r.model == model]
        lines += [f"- {model}: {table_cell(spread.text())}" for spread in spreads(runs)]
        lines += [f"- 🔸 fragile ({model}, seed {r.seed}): {table_cell(r.fragile)}" for r in sorted(runs, key=lambda r: r.seed) if r.fragile]
    return ["", f"Margins against the spread across seeds (models on >= {MIN_SEEDS} seeds) and fragile passes:", *lines] if lines else []


def render_markdown(
    runs: list[ClaimRun], run_info: dict[str, Any], flipped: list[tuple[str, str, str]], report_dir: Path = Path("."),
    identity: list[str] | None = None,
) -> str:
    problems = known_problems()
    counts = defaultdict(int)
    for run in runs:
        counts[run.verdict] += 1
    lines = [
        "# mi-claims report",
        "",
        f"Run {run_info['finished']} · {run_info['duration_s']:.0f} s · torch {run_info['versions']['torch']} · "
        f"transformer_lens {run_info['versions']['transformer_lens']} · "
        f"commit {(run_info['git']['commit'] or 'unknown')[:10]}{' (dirty)' if run_info['git']['dirty'] else ''}"
        + (" · **interrupted: partial report**" if run_info["interrupted"] else ""),
        "",
        f"Forward passes: {describe_passes(run_info.get('passes') or {})}",
        "",
        " · ".join(f"{SYMBOL[v]}: {counts[v]}" for v in VERDICTS if counts[v])
        + (f" · 🔸 fragile passes: {sum(bool(r.fragile) for r in runs)}" if any(r.fragile for r in runs) else ""),
        "",
    ]
    if identity:
        lines += ["## ⚠️ Model identity warnings", "", *(f"- {table_cell(w)}" for w in identity), ""]
    if flipped:
        lines += ["## Verdicts that flipped since the previous run", "", "| claim | before | now |", "|---|---|---|"]
        lines += [f"| `{nodeid}` | {SYMBOL.get(a, a)} | {SYMBOL.get(b, b)} |" for nodeid, a, b in flipped]
        lines.append("")

    by_problem: dict[str, list[ClaimRun]] = defaultdict(list)
    for run in runs:
        by_problem[run.problem].append(run)
    lines += ["## Summary per problem", "", "| problem | claims | " + " | ".join(SYMBOL[v] for v in VERDICTS) + " |"]
    lines.append("|---" * (2 + len(VERDICTS)) + "|")
    for problem in sorted(by_problem, key=lambda p: tuple(int(x) for x in p.split("."))):
        group = by_problem[problem]
        n = len({(r.file, r.claim) for r in group})
        cells = [str(sum(r.verdict == v for r in group)) for v in VERDICTS]
        lines.append(f"| {problem} | {n} | " + " | ".join(cells) + " |")
    lines.append("")

    if rows := ground_truth([dataclasses.asdict(r) for r in runs]):
        lines += ["## Toolkit against known circuits", "", "| program | method | model | seed | precision | recall | AUROC |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {table_cell(str(g['program']))} | {table_cell(str(g['method']))} | {g['model']} | {g['seed']} | "
                  f"{g['precision']:.3g} | {g['recall']:.3g} | {g['auroc']:.3g} |" for g in rows]
        lines.append("")

    for problem in sorted(by_problem, key=lambda p: tuple(int(x) for x in p.split("."))):
        section, description = problems.get(problem, ("", ""))
        lines += [f"## Problem {problem} — {section}", "", f"> {description}", ""]
        claims: dict[tuple[str, str], list[ClaimRun]] = defaultdict(list)  # same name, two files: two claims
        for run in by_problem[problem]:
            claims[run.file, run.claim].append(run)
        for (file, name), group in claims.items():
            lines += [f"### {group[0].statement}", "", f"`{file}::{name}`"]
            for label, field in (("Refuted", "refuted_reason"), ("Machine-dependent", "machine_dependent_reason")):
                for reason in sorted({getattr(r, field) for r in group if getattr(r, field)}):
                    targets = ", ".join(f"{r.model} seed {r.seed}" for r in group if getattr(r, field) == reason)
                    lines += ["", f"{label} on record ({targets}): {reason}"]
            lines += ["", "| model | seed | verdict | measured | claim s | setup s |", "|---|---|---|---|---|---|"]
            for run in sorted(group, key=lambda r: (r.model, r.seed)):
                lines.append(
                    f"| {run.model} | {run.seed} | {verdict_text(run)} | {measurement_text(run)} | {run.duration:.1f} | {run.setup_duration:.1f} |"
                )
            lines += spread_lines(group)
            lines.append("")
            lines += neuron_page_line(group)
            if links := attachment_links(group, report_dir):
                lines += links + [""]
    return "\n".join(lines)


def atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for everyone to read
    os.replace(tmp, path)


LOG_NAME = "claims.log.jsonl"


class RunLog:
    """The append-only record of a run in ``report_dir/claims.log.jsonl``: a first line with the
    start time and where the run measures (``environment``, the arguments), then one JSON line
    per claim report as it arrives (NaN as the ``NaN`` literal Python's json reads), flushed at
    once; the last line of a node id is its state. A killed controller leaves every finished
    claim on disk; ``python -m harness.claims.report recover DIR`` builds the report from it,
    naming the machine that ran the claims, not the one that recovers them."""

    def __init__(self, path: Path, started: float, args: list[str]):
        self.path = path
        self.file = path.open("w")
        self.write({"run started": started, "run": {**environment(), "args": args}})

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(plain(record)) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def read_log(path: Path) -> tuple[float, list[ClaimRun], dict[str, Any]]:
    """(start time, the last state of every claim, the run's recorded ``environment`` and
    arguments; empty in a log of an older format) from a ``RunLog`` file; a torn last line (the
    writer was killed mid-line) is left out."""
    started, runs, run = path.stat().st_mtime, {}, {}
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "run started" in record:
            started, run = record["run started"], record.get("run", {})
            continue
        record.pop("verdict", None)
        runs[record["nodeid"]] = ClaimRun(**record)
    return started, list(runs.values()), run


def write_reports(
    runs: list[ClaimRun], report_dir: Path, *, started: float, exitstatus: int, args: list[str],
    merged: dict[str, Any] | None = None, passes: dict[str, Any] | None = None,
) -> list[Path]:
    """Write ``claims.json``, ``claims.md`` and ``claims.html`` into ``report_dir`` and append the
    run to its history; returns the three reports' paths. ``merged``: the run info of merged
    shards (``harness.claims.merge``) or of a recovered log, which replaces this process's;
    ``passes``: forward passes run and needed (``harness.models.passes.total``)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = report_dir / "claims.json", report_dir / "claims.md"
    previous: list[dict[str, Any]] = []
    if json_path.exists():
        try:
            previous = list(json.loads(json_path.read_text())["claims"])
        except (ValueError, KeyError, TypeError):  # not a report of ours: nothing to compare with
            previous = []
    runs = sorted(runs, key=lambda r: r.nodeid)
    fragile = fragile_reasons(runs)
    for run in runs:
        run.fragile = fragile.get(run.nodeid)
    run_info = {
        "started": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "duration_s": time.time() - started,
        "exitstatus": exitstatus,
        "args": args,
        **environment(),
        "passes": passes or {},
        **(merged or {}),
    }
    run_info["interrupted"] = run_info["exitstatus"] == 2 or any(r.outcome is None for r in runs)
    flipped = flips(previous, runs)
    claims = [r.to_json() for r in runs]
    past = history.load(report_dir)
    record = {
        "run": run_info,
        "flipped": [{"nodeid": n, "before": a, "now": b} for n, a, b in flipped],
        "identity_warnings": identity_warnings(claims, past),
        "claims": claims,
    }
    written = plain(record, nonfinite_as_text=True)
    atomic_write_text(json_path, json.dumps(written, indent=1, allow_nan=False))
    atomic_write_text(md_path, render_markdown(runs, run_info, flipped, report_dir, record["identity_warnings"]))
    html_path = report_dir / "claims.html"
    kept = [*past, history.append(report_dir, written)][-history.KEEP:]
    atomic_write_text(html_path, render_html(written, kept, report_dir=str(report_dir)))
    return [json_path, md_path, html_path]


def recover(report_dir: Path) -> list[Path]:
    """Write ``claims.json`` / ``claims.md`` of an interrupted run from its ``RunLog``: where it
    ran as the log recorded it, finished at the log's last write."""
    log = report_dir / LOG_NAME
    started, runs, run = read_log(log)
    last_write = log.stat().st_mtime
    recorded = {**run, "args": [*run.get("args", []), f"(recovered from {LOG_NAME})"],
                "finished": dt.datetime.fromtimestamp(last_write).isoformat(timespec="seconds"),
                "duration_s": last_write - started}
    return write_reports(runs, report_dir, started=started, exitstatus=2, args=recorded["args"], merged=recorded)


if __name__ == "__main__":
    import argparse

    from harness.claims.compare import compare
    from harness.claims.merge import merge

    parser = argparse.ArgumentParser(prog="python -m harness.claims.report")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("recover", help=f"rebuild the report of a killed run from DIR/{LOG_NAME}").add_argument("dir", type=Path)
    merging = commands.add_parser("merge", help="one report from the claims.json of shards (--claims-shard i/n)")
    merging.add_argument("reports", type=Path, nargs="+")
    merging.add_argument("--out", type=Path, required=True, help="directory of the merged report")
    comparing = commands.add_parser("compare", help="claims that changed verdict and measurements that moved between two claims.json")
    comparing.add_argument("a", type=Path)
    comparing.add_argument("b", type=Path)
    comparing.add_argument("--rtol", type=float, default=0.05, help="relative tolerance of a measurement (default 0.05)")
    arguments = parser.parse_args()
    if arguments.command == "compare":
        print("\n".join(compare(json.loads(arguments.a.read_text()), json.loads(arguments.b.read_text()), arguments.rtol)))
    else:
        written = recover(arguments.dir) if arguments.command == "recover" else merge(arguments.reports, arguments.out)
        print("\n".join(f"wrote {path}" for path in written))
