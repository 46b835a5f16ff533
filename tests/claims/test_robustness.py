"""harness.claims.robustness: margins against the spread across seeds, and fragile passes."""

from __future__ import annotations

import pytest
import torch

from harness.claims.evidence import Evidence
from harness.claims.report import render_markdown, write_reports
from harness.claims.robustness import fragile_reasons, holds_by_one_count, margin, spreads
from tests.claims.test_report import RUN_INFO, run


def measured(value, op=">", threshold=0.5, name="score", passed=None):
    held = eval(f"{value} {op} {threshold}") if passed is None else passed
    return [{"name": name, "value": value, "op": op, "threshold": threshold, "passed": held, "precondition": False}]


@pytest.mark.parametrize("value, op, threshold, expected", [
    (0.9, ">", 0.5, 0.4), (0.9, ">=", 0.5, 0.4), (0.2, "<", 0.5, 0.3), (0.7, "<=", 0.5, -0.2),
    (1.0, "==", 1.0, None), (1.0, "!=", 2.0, None),
])
def test_margin_is_signed_towards_the_holding_side(value, op, threshold, expected):
    assert margin(value, op, threshold) == (pytest.approx(expected) if expected is not None else None)


def test_holds_by_one_count_only_for_integral_counts_at_the_last_passing_step():
    assert holds_by_one_count(14, ">", 13) and holds_by_one_count(5, ">=", 5) and holds_by_one_count(3, "<", 4)
    assert not holds_by_one_count(15, ">", 13) and not holds_by_one_count(0.9, ">", 0.5)
    assert not holds_by_one_count(3, "==", 3)


def test_a_pass_within_one_seed_std_is_fragile_and_a_clear_one_is_not():
    # margins 0.05 / 0.4 / 0.45 with seed std about 0.22: seed 0 holds within noise
    noisy = [run(seed=s, measurements=measured(v)) for s, v in ((0, 0.55), (1, 0.9), (2, 0.95))]
    reasons = fragile_reasons(noisy)
    assert list(reasons) == [noisy[0].nodeid]
    assert reasons[noisy[0].nodeid] == "score holds by 0.05 < seed std 0.218"
    clear = [run(seed=s, measurements=measured(v)) for s, v in ((0, 0.90), (1, 0.91), (2, 0.92))]
    assert fragile_reasons(clear) == {}


def test_two_seeds_give_no_spread_but_a_single_count_is_fragile_on_any_number_of_seeds():
    two = [run(seed=s, measurements=measured(v)) for s, v in ((0, 0.55), (1, 0.95))]
    assert spreads(two) == [] and fragile_reasons(two) == {}
    one_feature = run(measurements=measured(14.0, ">", 13.0, name="features represented"))
    assert fragile_reasons([one_feature]) == {one_feature.nodeid: "features represented holds by one count (14 > 13)"}


def test_failed_runs_and_preconditions_are_never_fragile():
    runs = [run(seed=0, outcome="fails", measurements=measured(0.45, passed=False)),
            run(seed=1, measurements=measured(0.9)), run(seed=2, measurements=measured(0.95))]
    assert fragile_reasons(runs) == {}
    precondition = run(measurements=[{**measured(5.0, ">=", 5.0)[0], "precondition": True}])
    assert fragile_reasons([precondition]) == {}


def test_the_report_flags_fragile_passes_and_shows_the_margins(tmp_path):
    runs = [run(seed=s, measurements=measured(v)) for s, v in ((0, 0.55), (1, 0.9), (2, 0.95))]
    json_path, md_path, _ = write_reports(runs, tmp_path, started=0.0, exitstatus=0, args=[])
    assert runs[0].fragile and not runs[1].fragile
    md = md_path.read_text()
    assert "| toy-attn-2l | 0 | ✅ holds · 🔸 fragile | score = 0.55 (> 0.5 ✓) |" in md
    assert "- toy-attn-2l: score: margin 0.05 / 0.4 / 0.45 (seeds 0, 1, 2), seed std 0.218" in md
    assert "- 🔸 fragile (toy-attn-2l, seed 0): score holds by 0.05 < seed std 0.218" in md
    assert "🔸 fragile passes: 1" in md
    assert '"fragile": "score holds by 0.05 < seed std 0.218"' in json_path.read_text()
    assert "fragile" not in render_markdown([run()], RUN_INFO, [])


def test_a_rate_that_happens_to_be_integral_is_not_a_count():
    evidence = Evidence("c", "3.17", "m", 0)
    evidence.expect("ablated accuracy", torch.tensor(0.0), "<", 1)  # a rate of 0, not "0 < 1 heads"
    evidence.expect("features represented", torch.tensor([1, 1, 0]).sum(), ">", 1)
    rate, count = evidence.measurements
    assert not rate.count and count.count
