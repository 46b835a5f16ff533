import torch

from harness.interp.probes import linear_probe, softmax_probes


def test_probe_finds_a_planted_direction_and_shuffled_labels_do_not():
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(200) % 2
    direction = torch.zeros(20)
    direction[3] = 1.0
    features = torch.randn(200, 20, generator=gen) + 3.0 * labels[:, None] * direction
    result = linear_probe(features, labels, seed=0)
    assert result.accuracy > 0.9
    assert result.shuffled_accuracy < 0.75
    assert int(result.direction.abs().argmax()) == 3


def test_probe_on_noise_is_near_chance():
    gen = torch.Generator().manual_seed(1)
    result = linear_probe(torch.randn(200, 20, generator=gen), torch.arange(200) % 2, seed=0)
    assert result.accuracy < 0.75


def test_softmax_probes_read_a_linear_label_and_not_a_nonlinear_one():
    gen = torch.Generator().manual_seed(0)
    features = torch.randn(300, 4, generator=gen)
    linear = (features[:, 0] > -0.5).long() + (features[:, 0] > 0.5).long()  # 3 intervals of one direction
    xor = ((features[:, 2] > 0) ^ (features[:, 3] > 0)).long()
    labels = torch.stack([linear, xor], dim=1)
    labels[:10, 0] = -1  # unlabelled rows are left out
    accuracy = softmax_probes(features, labels, 3, groups=torch.arange(300) // 3, seed=0)
    assert accuracy[0] > 0.85
    assert accuracy[1] < 0.65
