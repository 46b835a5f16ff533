"""harness.claims.report: verdicts, flips since the previous run, and the JSON / markdown reports."""

from __future__ import annotations

import dataclasses
import json
import math
import time

import pytest

from harness.claims.report import ClaimRun, VERDICTS, attachment_links, flips, measurement_text, render_markdown, write_reports


def run(claim="test_a", model="toy-attn-2l", seed=0, outcome="holds", expected="holds", problem="3.16", **kw) -> ClaimRun:
    reason = kw.pop("refuted_reason", "found 0.3" if expected == "refuted" else None)
    file = kw.pop("file", "claims/induction/test_x.py")
    return ClaimRun(
        nodeid=f"{file}::{claim}[{model}-seed{seed}]", claim=claim, file=file, problem=problem,
        statement=kw.pop("statement", f"statement of {claim}"), expected=expected, refuted_reason=reason,
        model=model, seed=seed, outcome=outcome, **kw,
    )


@pytest.mark.parametrize(
    "expected, outcome, verdict",
    [
        ("holds", "holds", "holds"),
        ("holds", "fails", "fails"),
        ("holds", "error", "error"),
        ("holds", "skipped", "skipped"),
        ("holds", None, "not-run"),
        ("refuted", "fails", "refuted-as-expected"),
        ("refuted", "holds", "unexpectedly-holds"),
        ("refuted", "error", "error"),  # a NaN is never "refuted as expected"
        ("refuted", "skipped", "skipped"),
        ("refuted", None, "not-run"),
        ("holds", "inconclusive", "inconclusive"),
        ("refuted", "inconclusive", "inconclusive"),  # could not be tested: not "refuted as expected"
        ("machine-dependent", "inconclusive", "inconclusive"),
    ],
)
def test_verdict_of_expectation_and_outcome(expected, outcome, verdict):
    r = run(expected=expected, outcome=outcome)
    assert r.verdict == verdict and verdict in VERDICTS
    assert r.to_json()["verdict"] == verdict


def test_flips_lists_changed_verdicts_only():
    previous = [
        {"nodeid": run("a").nodeid, "verdict": "holds"},
        {"nodeid": run("b").nodeid, "verdict": "holds"},
        {"nodeid": run("c").nodeid, "verdict": "fails"},
        {"nodeid": run("d").nodeid, "verdict": "holds"},
        {"nodeid": "gone::test[x]", "verdict": "holds"},
        {"verdict": "holds"},  # an older format: ignored
        "junk",
    ]
    current = [
        run("a"),  # unchanged
        run("b", outcome="fails"),
        run("c", expected="refuted", outcome="fails"),
        run("d", outcome=None),  # interrupted before it ran: not a flip
        run("new", outcome="fails"),  # not in the previous run
    ]
    assert flips(previous, current) == [(run("b").nodeid, "holds", "fails"), (run("c").nodeid, "fails", "refuted-as-expected")]


def test_measurement_text_marks_each_expectation_and_falls_back_to_the_message():
    r = run(measurements=[
        {"name": "score", "value": 0.41, "op": ">", "threshold": 0.7, "passed": False},
        {"name": "loss | half", "value": 1.0, "op": "<", "threshold": 2.0, "passed": True},
        {"name": "ratio", "value": math.nan, "op": ">", "threshold": 0.0, "passed": None},
    ])
    assert measurement_text(r) == "score = 0.41 (> 0.7 ✗)<br>loss \\| half = 1 (< 2 ✓)<br>ratio = nan (> 0 not finite)"
    spread = {"min": -1.0, "q10": -0.5, "q25": 0.0, "median": 0.2, "q75": 0.4, "q90": 0.8, "max": 2.0, "n": 40, "finite": 40}
    mean = run(measurements=[{"name": "diff", "value": 0.25, "op": ">", "threshold": 0.0, "passed": True, "spread": spread}])
    assert measurement_text(mean) == "diff = 0.25 (> 0 ✓; per example: median 0.2, 10–90% -0.5…0.8, min -1, max 2, n = 40)"
    crashed = run(outcome="error", message="RuntimeError: a | b\nsecond line")
    assert measurement_text(crashed) == "RuntimeError: a \\| b second line"


def test_attachment_links_are_relative_to_the_report(tmp_path):
    runs = [run(seed=1, attachments={"pattern": str(tmp_path / "plots" / "p1.png")}),
            run(seed=0, attachments={"pattern": str(tmp_path / "plots" / "p0.png")})]
    assert attachment_links(runs, tmp_path) == [
        "![pattern (toy-attn-2l, seed 0)](plots/p0.png)",
        "![pattern (toy-attn-2l, seed 1)](plots/p1.png)",
    ]


def test_machine_dependent_verdicts_say_what_this_machine_measured():
    for outcome in ("holds", "fails"):
        assert run(expected="machine-dependent", outcome=outcome).verdict == f"machine-dependent-{outcome}"
    assert run(expected="machine-dependent", outcome="error").verdict == "error"


RUN_INFO = {"finished": "2026-01-01T00:00:00", "duration_s": 12.0, "interrupted": False,
            "versions": {"torch": "2.13.0", "transformer_lens": "4.3.0"}, "git": {"commit": "0123456789abcdef", "dirty": True}}


def test_markdown_has_the_matrix_the_summary_refuted_reasons_flips_and_plots(tmp_path):
    runs = [
        run("test_a", seed=0, measurements=[{"name": "score", "value": 0.9, "op": ">", "threshold": 0.4, "passed": True}],
            attachments={"attention": str(tmp_path / "plots" / "a0.png")}, duration=1.25, setup_duration=3.0),
        run("test_a", seed=1, outcome="fails",
            measurements=[{"name": "score", "value": 0.41, "op": ">", "threshold": 0.7, "passed": False}]),
        run("test_b", model="toy-attn-1l", expected="refuted", outcome="fails", refuted_reason="loss drops 1.3 nats"),
        run("test_b", model="toy-attn-1l", seed=1, outcome="skipped", message="toy-attn-1l: no weights"),
        run("test_c", problem="1.9", outcome="error", message="RuntimeError: boom"),
        run("test_a", problem="1.9", file="claims/other/test_y.py", statement="same name, other file"),
    ]
    md = render_markdown(runs, RUN_INFO, [(runs[1].nodeid, "holds", "fails")], tmp_path)
    lines = md.splitlines()
    assert lines[0] == "# mi-claims report"
    assert "torch 2.13.0 · transformer_lens 4.3.0 · commit 0123456789 (dirty)" in md and "interrupted" not in md
    assert "✅ holds: 2 · ☑️ refuted (as expected): 1 · ❌ fails: 1 · 💥 error: 1 · ⏭️ skipped: 1" in md
    assert "## Verdicts that flipped since the previous run" in md
    assert f"| `{runs[1].nodeid}` | ✅ holds | ❌ fails |" in lines
    # summary per problem: problems in numeric order, claims counted once per (file, name)
    summary = lines.index("## Summary per problem")
    assert lines[summary + 2].startswith("| problem | claims | ✅ holds |")
    assert lines[summary + 4] == "| 1.9 | 2 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 0 | 0 |"
    assert lines[summary + 5] == "| 3.16 | 2 | 1 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 1 | 0 |"
    assert "## Problem 3.16 — Harder problems" in lines and "## Problem 1.9 — How do larger models differ?" in lines
    assert "### statement of test_a" in lines and "### same name, other file" in lines
    assert "`claims/other/test_y.py::test_a`" in lines
    assert "Refuted on record (toy-attn-1l seed 0): loss drops 1.3 nats" in lines
    assert "| toy-attn-2l | 0 | ✅ holds | score = 0.9 (> 0.4 ✓) | 1.2 | 3.0 |" in lines
    assert "| toy-attn-2l | 1 | ❌ fails | score = 0.41 (> 0.7 ✗) | 0.0 | 0.0 |" in lines
    assert "| toy-attn-1l | 1 | ⏭️ skipped | toy-attn-1l: no weights | 0.0 | 0.0 |" in lines
    assert "| toy-attn-2l | 0 | 💥 error | RuntimeError: boom | 0.0 | 0.0 |" in lines
    assert "![attention (toy-attn-2l, seed 0)](plots/a0.png)" in lines


def test_interrupted_report_says_so():
    md = render_markdown([run(outcome=None)], {**RUN_INFO, "interrupted": True}, [])
    assert "**interrupted: partial report**" in md and "… not run: 1" in md


def test_write_reports_writes_strict_json_and_compares_with_the_previous_report(tmp_path):
    nan_run = run("test_nan", outcome="error", measurements=[
        {"name": "ratio", "value": math.nan, "op": ">", "threshold": math.inf, "passed": None}])
    first = [run("test_a"), nan_run]
    paths = write_reports(first, tmp_path / "reports", started=time.time() - 5, exitstatus=1, args=["claims"])
    json_path, md_path, html_path = paths
    assert [p.name for p in paths] == ["claims.json", "claims.md", "claims.html"] and md_path.read_text().startswith("# mi-claims report")
    assert "<h1>mi-claims report</h1>" in html_path.read_text()
    record = json.loads(json_path.read_text(), parse_constant=pytest.fail)  # no NaN / Infinity literals
    assert record["run"]["exitstatus"] == 1 and record["run"]["args"] == ["claims"]
    assert record["run"]["interrupted"] is False and record["run"]["duration_s"] >= 5
    assert {"torch", "transformer_lens", "transformers", "numpy", "safetensors", "gguf", "python"} <= record["run"]["versions"].keys()
    git = record["run"]["git"]  # the tests run in a checkout of the project
    assert len(git["commit"]) == 40 and isinstance(git["dirty"], bool)
    assert [c["claim"] for c in record["claims"]] == ["test_a", "test_nan"]  # sorted by node id
    assert record["claims"][1]["measurements"][0] == {"name": "ratio", "value": "nan", "op": ">", "threshold": "inf", "passed": None}
    assert record["claims"][0] == dataclasses.asdict(first[0]) | {"verdict": "holds"}
    assert record["flipped"] == []

    second = [run("test_a", outcome="fails"), dataclasses.replace(nan_run, outcome=None)]
    write_reports(second, tmp_path / "reports", started=time.time(), exitstatus=2, args=[])
    record = json.loads(json_path.read_text())
    assert record["run"]["interrupted"] is True
    assert record["flipped"] == [{"nodeid": run("test_a").nodeid, "before": "holds", "now": "fails"}]
    assert "## Verdicts that flipped since the previous run" in md_path.read_text()
    assert oct(json_path.stat().st_mode & 0o777) == oct(0o644)


@pytest.mark.parametrize("previous", ["not json", "[]", '{"claims": 3}', '{"claims": [{"nodeid": 1}]}', "{}"])
def test_an_unreadable_previous_report_is_ignored(tmp_path, previous):
    (tmp_path / "claims.json").write_text(previous)
    write_reports([run()], tmp_path, started=time.time(), exitstatus=0, args=[])
    assert json.loads((tmp_path / "claims.json").read_text())["flipped"] == []


def test_an_interrupted_run_with_no_finished_claim_still_writes_a_report(tmp_path):
    json_path, md_path, html_path = write_reports([], tmp_path, started=time.time(), exitstatus=2, args=[])
    assert json.loads(json_path.read_text())["run"]["interrupted"] is True
    assert "Interrupted run: partial report" in html_path.read_text()
    assert "**interrupted: partial report**" in md_path.read_text()
