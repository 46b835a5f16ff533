import pytest
import torch
from tests.toy_bridges import random_tokens, toy_bridge

from harness.interp.lens import first_decodable_layer, logit_lens_predictions


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
def test_the_last_layer_reads_the_models_own_prediction(arch):
    model, tokens = toy_bridge(arch), random_tokens(3, 8, 1)
    lens = logit_lens_predictions(model, tokens)
    assert lens.shape == (model.cfg.n_layers, 3, 8)
    with torch.inference_mode():
        assert torch.equal(lens[-1], model(tokens).argmax(-1))


def test_candidates_and_positions_select_what_is_read():
    model, tokens = toy_bridge("rms-gqa"), random_tokens(2, 8, 2)
    candidates = torch.tensor([3, 5, 7])
    positions = torch.tensor([[1, 4], [6, 7]])
    lens = logit_lens_predictions(model, tokens, candidates, positions)
    full = logit_lens_predictions(model, tokens, candidates)
    assert lens.shape == (model.cfg.n_layers, 2, 2) and set(lens.unique().tolist()) <= {3, 5, 7}
    assert torch.equal(lens, full[:, torch.arange(2)[:, None], positions])
    with torch.inference_mode():
        logits = model(tokens)[..., candidates]
    assert torch.equal(full[-1], candidates[logits.argmax(-1)])


def test_first_decodable_layer_is_where_the_target_stays_on_top():
    predictions = torch.tensor([[1, 1, 2], [2, 1, 2], [1, 2, 2], [1, 2, 1]])  # [layers, 3 examples]
    targets = torch.tensor([1, 2, 2])
    assert first_decodable_layer(predictions, targets).tolist() == [2, 2, 4]
