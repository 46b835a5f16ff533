"""The pieces of the 4.41 / 4.42 / 4.44 toy claims: the monosemantic rating of a computation
model's neurons with known features, and the widened, fine-tuned copy of a trained model."""

import dataclasses

import torch

from harness.tms import ComputationModel, neuron_features, widened
from harness.tms.spec import TMSDataConfig, TMSModelConfig, TMSRun, TMSSpec
from harness.tms.train import TMS_TRAINING


def test_neuron_features_names_monosemantic_neurons_and_leaves_out_dead_ones():
    net = ComputationModel(1, 3, 3, seed=0)
    with torch.no_grad():
        net.W_in.copy_(torch.tensor([[[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]))
        net.b_in.copy_(torch.tensor([[0.0, 0.0, -1.0]]))  # neuron 2 never fires
    x = torch.zeros(60, 1, 3)
    x[:30, 0, 0] = torch.linspace(0.1, 1.0, 30)  # one active feature per example: 0, then 1
    x[30:, 0, 1] = torch.linspace(0.1, 1.0, 30)
    # neuron 0's top 20 are all feature 0; neuron 1's (x0 + x1) split between features 0 and 1
    assert [f.tolist() for f in neuron_features(net, x, purity=0.8, k=20)] == [[0, -1]]


def test_a_neuron_driven_by_inputs_without_features_stands_for_none():
    net = ComputationModel(1, 2, 1, seed=0)
    with torch.no_grad():
        net.W_in.copy_(torch.tensor([[[-1.0, -1.0]]]))
        net.b_in.copy_(torch.tensor([[1.0]]))  # fires most when no feature is present
    x = torch.zeros(60, 1, 2)
    x[:20, 0, 0] = torch.linspace(0.1, 1.0, 20)  # 40 inputs without any feature
    assert [f.tolist() for f in neuron_features(net, x, purity=0.8, k=20)] == [[-1]]


def test_widened_model_computes_the_same_without_noise():
    net = ComputationModel(2, 5, 4, output_activation="relu", seed=1)
    wide = widened(net, 3, 0.0, seed=2)
    assert wide.W_in.shape == (2, 12, 5) and wide.W_out.shape == (2, 5, 12)
    x = torch.randn(8, 2, 5, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(wide(x), net(x))


def test_run_widened_fine_tunes_everything_but_the_output_bias_and_leaves_the_run_alone():
    spec = TMSSpec("tiny-abs", "test", TMSModelConfig("computation", 5, 3, output_activation="relu"),
                   TMSDataConfig((0.1,), task="compute", target="abs"),
                   dataclasses.replace(TMS_TRAINING, steps=20, batch_size=64, log_every=10))
    run = TMSRun(spec, 0, spec.build(0).eval(), {})
    original = {name: p.detach().clone() for name, p in run.net.named_parameters()}
    wide = run.widened(4, 0.1, steps=20)
    assert wide.W_in.shape == (1, 12, 5)
    torch.testing.assert_close(wide.b_out, original["b_out"])
    assert not torch.allclose(wide.W_in, widened(run.net, 4, 0.1, seed=0).W_in)  # trained on from the same copies
    for name, p in run.net.named_parameters():
        torch.testing.assert_close(p, original[name])
