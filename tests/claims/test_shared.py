"""``mark_slow_beyond`` and ``prompt_seeds``: which collected claims they mark slow; ``expect_behaviour``."""

from pathlib import Path
from types import SimpleNamespace

import torch

from harness.claims.claim import Target
from harness.claims.evidence import Evidence
from harness.claims.shared import expect_behaviour, mark_slow_beyond, prompt_seeds


def item(path: str, seed: int):
    marks = []
    return SimpleNamespace(path=Path(path), callspec=SimpleNamespace(params={"target": Target("m", seed)}),
                           add_marker=marks.append, marks=marks)


def test_a_folder_marks_its_claims_beyond_the_fast_seeds():
    items = [item("/c/area/test_a.py", 1), item("/c/area/test_b.py", 1), item("/c/area/test_a.py", 0), item("/c/other/test_a.py", 1)]
    mark_slow_beyond(items, Path("/c/area"), {0})
    assert [len(i.marks) for i in items] == [1, 1, 0, 0]


def test_prompt_seeds_run_the_fast_seed_by_default_and_mark_the_others_slow():
    params = prompt_seeds((0, 1, 2), fast=1).args[1]
    assert [p.values[0] for p in params] == [0, 1, 2]
    assert [p.id for p in params] == ["prompts0", "prompts1", "prompts2"]
    assert [[m.name for m in p.marks] for p in params] == [["slow"], [], ["slow"]]


def test_expect_behaviour_needs_a_positive_mean_and_the_accuracy():
    """Mean +0.7 holds; 8 of 10 prompts right is below the 0.9 accuracy."""
    evidence = Evidence(claim_id="claims/x.py::test_x[m-seed0]", problem="2.15", model="m", seed=0)
    expect_behaviour(evidence, torch.tensor([1.0] * 8 + [-0.5] * 2), "mean", "accuracy")
    assert [(m.name, m.passed) for m in evidence.measurements] == [("mean", True), ("accuracy", False)]
    assert evidence.measurements[0].spread["n"] == 10
