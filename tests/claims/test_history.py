"""harness.claims.history: one compact file per run, bounded, drawn as sparklines with the runs
between which a verdict changed."""

from __future__ import annotations

import dataclasses
import json
import time

from harness.claims import history
from harness.claims.report import write_reports
from tests.claims.synthetic import measured, synthetic_runs


def flipped_runs(report_dir):
    """The synthetic run with ``test_everywhere`` failing on toy-attn-1l seed 0 (a planted flip)."""
    return [
        dataclasses.replace(r, outcome="fails", measurements=[measured(0.3)])
        if (r.claim, r.model, r.seed) == ("test_everywhere", "toy-attn-1l", 0) else r
        for r in synthetic_runs(report_dir)
    ]


def test_two_runs_are_kept_and_the_page_names_the_runs_between_which_a_verdict_changed(tmp_path):
    write_reports(synthetic_runs(tmp_path), tmp_path, started=time.time(), exitstatus=0, args=[])
    _, _, html_path = write_reports(flipped_runs(tmp_path), tmp_path, started=time.time(), exitstatus=0, args=[])
    kept = history.load(tmp_path)
    assert len(kept) == len(history.files(tmp_path)) == 2
    nodeid = "claims/induction/test_x.py::test_everywhere[toy-attn-1l-seed0]"
    assert [h["claims"][nodeid] for h in kept] == [{"verdict": "holds", "values": {"score": 0.5}},
                                                   {"verdict": "fails", "values": {"score": 0.3}}]
    html = html_path.read_text()
    assert '<i class="s-holds"' in html and '<i class="s-mixed"' in html  # the sparkline of test_everywhere
    first, second = (h["run"] for h in kept)
    assert f"toy-attn-1l-seed0: hold → fail between {first['finished']} (commit {first['git']['commit'][:8]}, torch {first['versions']['torch']}" in html


def test_the_history_keeps_the_newest_runs(tmp_path):
    record = json.loads(write_reports(synthetic_runs(tmp_path), tmp_path, started=time.time(), exitstatus=0, args=[])[0].read_text())
    for _ in range(4):
        history.append(tmp_path, record, keep=3)
    names = [p.name for p in history.files(tmp_path)]
    assert len(names) == 3 and names == sorted(names) and names[-1].endswith("-004.json")  # same second: numbered
