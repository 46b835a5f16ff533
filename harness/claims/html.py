"""``claims.html``: the report as a researcher reads it, rendered with Jinja2 from the record
written to ``claims.json`` (a pure function of it, so an old ``claims.json`` re-renders).

Sections: overview (verdict counts, run info, flips), across models and seeds (one row per
claim, one cell per model aggregating its seeds), the problem map (every problem of
``catalog/open_problems.txt``), the toolkit against known circuits (``ground truth`` notes), and
one detail anchor per claim with a small SVG plot per measurement.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from typing import Any, Iterable

import jinja2

from harness.claims.evidence import QUANTILES
from harness.claims.problems import known_problems
from harness.models.passes import describe as describe_passes

# a short word per verdict for the cells ("2/3 hold, 1 refuted")
WORD = {
    "holds": "hold",
    "refuted-as-expected": "refuted",
    "fails": "fail",
    "unexpectedly-holds": "hold (marked refuted)",
    "inconclusive": "inconclusive",
    "machine-dependent-holds": "hold here",
    "machine-dependent-fails": "fail here",
    "error": "error",
    "skipped": "skipped",
    "not-run": "not run",
}
# the problem map's statuses: what the verdicts of a problem's claims add up to
STATUS = {
    "holds": "holds", "machine-dependent-holds": "holds", "unexpectedly-holds": "holds",
    "refuted-as-expected": "refuted", "fails": "refuted", "machine-dependent-fails": "refuted",
    "inconclusive": "inconclusive", "error": "error", "skipped": "skipped",
}
STATUSES = ("none", "holds", "refuted", "mixed", "inconclusive", "error", "skipped", "not-run")
PATTERNS = {
    "holds-everywhere": "holds on every model and seed",
    "uniform": "one verdict everywhere (not holds)",
    "splits-by-seed": "splits by seed",
    "splits-by-model": "splits by model",
    "not-run": "nothing ran (skipped / not run)",
}

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("harness.claims", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.Undefined,  # lenient: an older claims.json lacks newer fields
    trim_blocks=True,
    lstrip_blocks=True,
)


def number(value: Any) -> float:
    """A measured value as a float (``claims.json`` writes NaN / infinities as text)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def short(value: Any) -> str:
    v = number(value)
    return f"{v:.4g}" if math.isfinite(v) else str(value)


# values of the record may be "NaN" / "Infinity" text (claims.json has no non-finite numbers)
ENVIRONMENT.filters["short"] = short


def ran(verdicts: Iterable[str]) -> list[str]:
    """The verdicts of targets that were measured (neither skipped nor not run)."""
    return [v for v in verdicts if v not in ("skipped", "not-run")]


def cell_text(verdicts: list[str]) -> str:
    """``"3/3 hold"`` or ``"2/3 hold, 1 refuted"``: the seeds of one model, most common first."""
    counts = Counter(verdicts).most_common()
    first, n = counts[0]
    return ", ".join([f"{n}/{len(verdicts)} {WORD[first]}"] + [f"{k} {WORD[v]}" for v, k in counts[1:]])


def pattern(by_model: dict[str, list[str]]) -> str:
    """How a claim's verdicts agree: ``PATTERNS``' keys."""
    measured = {model: set(ran(v)) for model, v in by_model.items() if ran(v)}
    if not measured:
        return "not-run"
    if any(len(v) > 1 for v in measured.values()):
        return "splits-by-seed"
    if len({next(iter(v)) for v in measured.values()}) > 1:
        return "splits-by-model"
    only = next(iter(next(iter(measured.values()))))
    return "holds-everywhere" if STATUS[only] == "holds" else "uniform"


def pattern_text(by_model: dict[str, list[str]]) -> str:
    """``PATTERNS``' text, naming the verdict of a claim with one verdict everywhere."""
    key = pattern(by_model)
    if key != "uniform":
        return PATTERNS[key]
    return f"{WORD[ran(next(v for v in by_model.values() if ran(v)))[0]]} everywhere"


def status(verdicts: Iterable[str]) -> str:
    """One of ``STATUSES`` for a problem (or a claim in a past run)."""
    verdicts = list(verdicts)
    if not verdicts:
        return "none"
    verdicts = [v for v in verdicts if v != "not-run"]
    if not verdicts:  # an interrupted run stopped before its claims
        return "not-run"
    statuses = {STATUS[v] for v in verdicts}
    if len(statuses) > 1:
        statuses.discard("skipped")
    return next(iter(statuses)) if len(statuses) == 1 else "mixed"


def plot(name: str, rows: list[tuple[str, list[dict[str, Any]]]], width: int = 380) -> dict[str, Any]:
    """Geometry of one measurement's plot: one line per model, each seed's value as a dot, the
    threshold as a vertical line, the per-example spread (``spread`` quantiles) as a box."""
    values = [number(m["value"]) for _, ms in rows for m in ms]
    values += [number(m["threshold"]) for _, ms in rows for m in ms]
    values += [number(m["spread"][k]) for _, ms in rows for m in ms if m.get("spread") for k in ("min", "max")]
    finite = [v for v in values if math.isfinite(v)] or [0.0]
    lo, hi = min(finite), max(finite)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right, row_h = 130, width - 10, 18

    def x(v: Any) -> float | None:
        v = number(v)
        return round(left + (v - lo) / (hi - lo) * (right - left), 1) if math.isfinite(v) else None

    lines = []
    for i, (model, ms) in enumerate(rows):
        y = 14 + i * row_h
        first = ms[0]
        dots = [
            {"x": x(m["value"]), "seed": m["seed"], "passed": m["passed"], "title": f"seed {m['seed']}: {short(m['value'])}"}
            for m in ms
        ]
        boxes = [
            {q: x(m["spread"][q]) for q in QUANTILES}
            | {"title": f"seed {m['seed']}: per-example median {short(m['spread']['median'])}, n = {m['spread']['n']}"}
            for m in ms if m.get("spread")
        ]
        lines.append({"model": model, "y": y, "threshold": x(first["threshold"]), "op": first["op"], "dots": dots, "boxes": boxes,
                      "nonfinite": [d["title"] for d in dots if d["x"] is None]})
    return {"name": name, "width": width, "height": 14 + len(rows) * row_h, "left": left, "right": right,
            "lo": short(lo), "hi": short(hi), "lines": lines}


def precondition(by_model: dict[str, list[dict[str, Any]]]) -> bool:
    return any(m.get("precondition") for ms in by_model.values() for m in ms)


def claim_views(claims: list[dict[str, Any]], report_dir: str | None) -> list[dict[str, Any]]:
    """One view per claim (file, test function), with its runs by model and seed."""
    problems = known_problems()
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in claims:
        grouped[run["file"], run["claim"]].append(run)
    views = []
    for i, ((file, name), runs) in enumerate(sorted(grouped.items(), key=lambda kv: (problem_key(kv[1][0]["problem"]), kv[0]))):
        runs.sort(key=lambda r: (r["model"], r["seed"]))
        models = list(dict.fromkeys(r["model"] for r in runs))
        by_model = {m: [r for r in runs if r["model"] == m] for m in models}
        verdicts = {m: [r["verdict"] for r in rs] for m, rs in by_model.items()}
        measured: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for r in runs:
            for m in r["measurements"]:
                measured[m["name"]][r["model"]].append({**m, "seed": r["seed"]})
        first = runs[0]
        views.append({
            "anchor": f"claim-{i}",
            "file": file, "name": name, "area": file.split("/")[1] if file.count("/") >= 2 else file,
            "problem": first["problem"], "problem_text": problems.get(first["problem"], ("", ""))[1],
            "statement": first["statement"], "docstring": first.get("docstring") or "",
            "pattern": pattern(verdicts),
            "pattern_text": pattern_text(verdicts),
            "verdicts": sorted({r["verdict"] for r in runs}),
            "models": models,
            "cells": {m: cell(by_model[m]) for m in models},
            "reasons": sorted({(label, r[key]) for r in runs for label, key in (("Refuted", "refuted_reason"), ("Machine-dependent", "machine_dependent_reason")) if r.get(key)}),
            "runs": [run_view(r, report_dir) for r in runs],
            "plots": [plot(("requires " if precondition(by) else "") + n, list(by.items())) for n, by in measured.items()],
        })
    return views


def cell(runs: list[dict[str, Any]]) -> dict[str, Any]:
    verdicts = [r["verdict"] for r in runs]
    kinds = set(verdicts)
    return {
        "text": cell_text(verdicts),
        "class": f"v-{verdicts[0]}" if len(kinds) == 1 else "v-mixed",
        "fragile": any(r.get("fragile") for r in runs),
        "seeds": [f"seed {r['seed']}: {WORD[r['verdict']]}" + "".join(f"; {m['name']} = {short(m['value'])}" for m in r["measurements"]) for r in runs],
    }


def run_view(run: dict[str, Any], report_dir: str | None) -> dict[str, Any]:
    provenance = run.get("provenance") or {}
    return {
        "model": run["model"], "seed": run["seed"], "verdict": run["verdict"], "message": run.get("message", ""),
        "fragile": run.get("fragile"),
        "measurements": [
            {**m, "value": short(m["value"]), "threshold": short(m["threshold"]),
             "spread": m.get("spread")}
            for m in run["measurements"]
        ],
        "notes": {k: v for k, v in run.get("notes", {}).items() if k != "ground truth"},
        "attachments": {t: relative(p, report_dir) for t, p in run.get("attachments", {}).items()},
        "neuron_pages": run.get("neuron_pages", []),
        "hash": (provenance.get("weights") or "")[:12], "weights": provenance.get("weights") or "",
        "device": provenance.get("device", ""), "dtype": provenance.get("dtype", ""),
        "duration": run.get("duration", 0.0), "setup_duration": run.get("setup_duration", 0.0),
    }


def relative(path: str, report_dir: str | None) -> str:
    return os.path.relpath(path, report_dir) if report_dir and os.path.isabs(path) else path


def problem_key(problem: str) -> tuple[int, ...]:
    return tuple(int(x) for x in problem.split("."))


def problem_map(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every known problem, grouped by section, with its status and claim count."""
    verdicts: dict[str, list[str]] = defaultdict(list)
    names: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for run in claims:
        verdicts[run["problem"]].append(run["verdict"])
        names[run["problem"]].add((run["file"], run["claim"]))
    sections: dict[str, list[dict[str, Any]]] = {}
    for pid, (section, text) in known_problems().items():
        sections.setdefault(section, []).append(
            {"id": pid, "text": text, "status": status(verdicts.get(pid, [])), "claims": len(names.get(pid, ()))}
        )
    return [{"section": s, "problems": ps} for s, ps in sections.items()]


def ground_truth(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of every ``ground truth`` note (tracr programs: a method's precision / recall /
    AUROC against the compiled circuit), with the model and seed they were measured on."""
    rows = []
    for run in claims:
        for row in run.get("notes", {}).get("ground truth") or []:
            rows.append({**row, "model": run["model"], "seed": run["seed"]})
    return sorted(rows, key=lambda r: (str(r.get("program")), str(r.get("method")), r["model"], r["seed"]))


def history_view(history: list[dict[str, Any]], views: list[dict[str, Any]]) -> None:
    """Add to each claim view its verdict sparkline over the ``history`` runs (oldest first)
    and the runs between which a target's verdict last changed."""
    for view in views:
        nodeids = [f"{view['file']}::{view['name']}[{r['model']}-seed{r['seed']}]" for r in view["runs"]]
        view["sparkline"] = [
            {"status": status(h["claims"][n]["verdict"] for n in nodeids if n in h["claims"]), "title": run_label(h["run"])}
            for h in history
        ]
        view["changes"] = []
        for n in nodeids:
            seen = [(h["run"], h["claims"][n]["verdict"]) for h in history if n in h["claims"] and h["claims"][n]["verdict"] != "not-run"]
            for (a, va), (b, vb) in list(zip(seen, seen[1:]))[::-1]:
                if va != vb:
                    view["changes"].append({"target": n.rsplit("[", 1)[1][:-1], "before": va, "now": vb,
                                            "between": run_label(a), "and": run_label(b)})
                    break


def run_label(run: dict[str, Any]) -> str:
    v = run.get("versions", {})
    commit = ((run.get("git") or {}).get("commit") or "unknown")[:8]
    return f"{run.get('finished', '?')} (commit {commit}, torch {v.get('torch')}, transformer_lens {v.get('transformer_lens')}, transformers {v.get('transformers')})"


def render_html(record: dict[str, Any], history: list[dict[str, Any]] | None = None, report_dir: str | None = None) -> str:
    """The HTML page of a ``claims.json`` record; ``history``: compact records of past runs
    (``harness.claims.history``), oldest first; ``report_dir``: where the page is written
    (attachments are linked relative to it)."""
    claims = record["claims"]
    views = claim_views(claims, report_dir)
    history_view(history or [], views)
    counts = Counter(r["verdict"] for r in claims)
    return ENVIRONMENT.get_template("claims.html.j2").render(
        run=record["run"],
        passes_text=describe_passes(record["run"].get("passes") or {}),
        flipped=record.get("flipped", []),
        identity_warnings=record.get("identity_warnings", []),
        counts=[(v, counts[v]) for v in WORD if counts[v]],
        fragile=sum(bool(r.get("fragile")) for r in claims),
        total=len(claims),
        claims=views,
        pattern_counts=Counter(v["pattern"] for v in views),
        models=sorted({r["model"] for r in claims}),
        areas=sorted({v["area"] for v in views}),
        problems=sorted({v["problem"] for v in views}, key=problem_key),
        problem_map=problem_map(claims),
        ground_truth=ground_truth(claims),
        word=WORD, patterns=PATTERNS, statuses=STATUSES,
    )
