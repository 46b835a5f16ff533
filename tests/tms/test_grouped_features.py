"""Triples of features present together (``harness.tms.data.grouped_presence``; pairs are tested
in ``test_evaluate_interference.py``) and the within / across group cosines of
``harness.tms.geometry.group_cosines`` (open problem 4.26)."""

import torch

from harness.tms import generate_features, group_cosines


def test_triples_are_present_together():
    x = generate_features(4096, 2, 9, 0.3, "triples_together", torch.Generator().manual_seed(0))
    present = (x != 0).view(4096, 2, 3, 3)
    assert (present.all(-1) | ~present.any(-1)).all()  # each triple all or nothing
    assert abs(present[..., 0].float().mean().item() - 0.3) < 0.02


def test_group_cosines_split_pairs():
    # features 0, 1 (group 0) orthogonal; 2 (group 1) at 45 degrees to both; 3 not represented
    W = torch.tensor([[1.0, 0.0, 0.5 ** 0.5, 0.0], [0.0, 1.0, 0.5 ** 0.5, 0.1]])[None]
    within, across = group_cosines(W, group_size=2)
    assert torch.allclose(within, torch.tensor([0.0]))
    assert torch.allclose(across, torch.full((2,), 0.5 ** 0.5))
