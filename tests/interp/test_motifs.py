"""The asymmetric superposition detector on constructed features, and the token-feature tables
it reads from a language model's MLP."""

import pytest
import torch

from harness.interp.dla import stacked_bias
from harness.interp.embedding import mlp_token_table
from harness.interp.motifs import asymmetric_superposition, motif_shares, token_features
from harness.interp.stacked_weights import stacked
from tests.toy_bridges import toy_bridge

# features 0 (strong) and 1 (weak) share neuron 0, which serves 1; neuron 1 fires on 0 and writes
# against 1's readout; neuron 2 serves feature 0
ACTS = torch.tensor([[2.0, 1.0, 1.0], [0.5, 0.0, 0.0]])  # [features, neurons]
OUT = torch.tensor([[0.0, 2.0], [0.0, -3.0], [1.0, 0.0]])  # [neurons, features]


def test_detector_finds_the_constructed_motif():
    assert asymmetric_superposition(ACTS, OUT).tolist() == [[0, 1, 0, 1]]


def test_detector_reads_signed_activations():
    # a gated neuron firing negatively, with its output weights negated: the same motif
    acts, out = ACTS.clone(), OUT.clone()
    acts[:, 0], out[0] = -acts[:, 0], -out[0]
    assert asymmetric_superposition(acts, out).tolist() == [[0, 1, 0, 1]]


@pytest.mark.parametrize("change", ["no inhibitor", "symmetric", "inhibitor hits the weak feature"])
def test_detector_needs_every_part(change):
    acts, out = ACTS.clone(), OUT.clone()
    if change == "no inhibitor":
        out[1, 1] = -1.0  # cancels a quarter of the interference (4), below half
    elif change == "symmetric":
        acts[0, 0] = 0.8  # feature 0 drives the shared neuron less than 2x feature 1
    else:
        acts[1, 1] = 0.5  # the inhibitor would take 1.5 of feature 1's own signal 1.0
    assert asymmetric_superposition(acts, out).shape == (0, 4)


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
def test_token_features_match_the_mlp_outputs(arch):
    model, ids = toy_bridge(arch), torch.arange(1, 11)
    acts, out = token_features(model, ids, bos=0)
    table = mlp_token_table(model, ids, bos=0).float()  # [10, d_model]
    W_out = stacked(model, "W_out")[0].float()
    # the activations are what W_out reads: they rebuild the MLP's output up to its bias
    bias = stacked_bias(model, "b_out")
    assert torch.allclose(acts @ W_out, table - (0.0 if bias is None else bias[0].float()), atol=1e-4)
    readout = (table - table.mean(0)) / (table - table.mean(0)).norm(dim=-1, keepdim=True)
    assert torch.allclose(out, W_out @ readout.T, atol=1e-5)


def test_motif_shares_leave_out_pairs_of_one_group():
    share, control, found = motif_shares(ACTS, OUT, seed=0)
    assert share == 0.5 and 0.0 <= control <= 1.0 and found.tolist() == [[0, 1, 0, 1]]
    assert motif_shares(ACTS, OUT, seed=0, groups=torch.tensor([0, 0]))[0] == 0.0
