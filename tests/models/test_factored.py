"""Multi-component regression toy models: forms, determinism, cache round trip."""

import pytest
import torch

from harness.models.factored import FORMS, FactoredModel, FactoredSpec, rank_one_target
from harness.models.training import TrainConfig

TINY = TrainConfig(steps=20, lr=0.05, warmup_steps=0, log_every=5)


@pytest.mark.parametrize("form", FORMS)
def test_every_form_outputs_an_n_by_n_matrix(form):
    assert FactoredModel(6, form, 1e-3, seed=0)().shape == (6, 6)


def test_unknown_form_is_refused():
    with pytest.raises(ValueError, match="unknown form"):
        FactoredModel(6, "rank2", 1e-3, seed=0)


def test_target_is_rank_one_and_unit_norm():
    target = rank_one_target(8)
    assert torch.linalg.matrix_rank(target) == 1
    assert target.norm() == pytest.approx(1.0)


def test_spec_trains_deterministically_and_keeps_its_loss_curve(tmp_path):
    spec = FactoredSpec("test-rank1", "tiny", 6, "rank1", 0.1, TINY)
    run = spec.load(0, tmp_path)
    assert list(run.losses) == [5, 10, 15, 20]
    again = FactoredSpec("test-rank1", "tiny", 6, "rank1", 0.1, TINY).train_artifact(0)[0]
    assert all(torch.equal(run.model.state_dict()[k], again[k]) for k in again)
    assert spec.payload(0)["kind"] == "factored-regression"
