import torch

from harness.interp.probes import (cross_validated_accuracy, linear_probe, mean_difference_ranking, probe_auroc,
                                   probe_direction, probe_scores, readout_interference, softmax_probes,
                                   sparse_probe_neurons)


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


def planted(n_detectors: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(acts [600, 30], labels [600], select [600]): the label raises each of the first
    ``n_detectors`` neurons by 3 / n_detectors (together they detect it; each alone weakly)."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.rand(600, generator=gen) < 0.3
    acts = torch.randn(600, 30, generator=gen)
    acts[:, :n_detectors] += 3.0 / n_detectors ** 0.5 * labels[:, None]
    return acts, labels, torch.arange(600) < 300


def test_probe_auroc_is_high_on_a_planted_feature_and_chance_on_noise():
    acts, labels, select = planted(1, seed=2)
    assert probe_auroc(acts, labels, select) > 0.95
    assert abs(probe_auroc(acts[:, 1:], labels, select) - 0.5) < 0.1


def test_sparse_probe_needs_as_many_neurons_as_carry_the_feature():
    acts, labels, select = planted(1, seed=3)
    assert sparse_probe_neurons(acts, labels, select, target=0.95)[0] == 1
    acts, labels, select = planted(8, seed=3)  # each neuron alone: AUROC ~0.77
    needed, scores = sparse_probe_neurons(acts, labels, select, target=0.95)
    assert needed == 8 and scores[1] < 0.9
    assert set(mean_difference_ranking(acts, labels)[:8].tolist()) == set(range(8))
    assert sparse_probe_neurons(acts[:, 8:], labels, select, target=0.95, ks=(1, 4, 16))[0] is None  # no detector left


def test_cross_validated_accuracy_separates_signal_from_noise():
    acts, labels, _ = planted(1, seed=4)
    assert cross_validated_accuracy(acts, labels) > 0.9
    assert cross_validated_accuracy(acts[:, 1:], labels) < 0.8


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


def test_readout_interference_measures_a_shift_and_a_lost_separation():
    gen = torch.Generator().manual_seed(4)
    labels = torch.rand(2000, generator=gen) < 0.3
    on = torch.arange(2000) >= 1000
    # off: negatives ~N(0, 1), positives ~N(4, 1); on: everything +2 (a shift of half the gap)
    scores = torch.randn(2000, generator=gen) + 4.0 * labels + 2.0 * on
    clean, shifted, shift = readout_interference(scores.double(), labels, ~on, on)
    assert clean > 0.95 and shifted > 0.95 and abs(shift - 0.5) < 0.1
    # on: the positives lose their offset (the second feature cancels the first's readout)
    scores = torch.randn(2000, generator=gen) + 4.0 * (labels & ~on)
    assert abs(readout_interference(scores.double(), labels, ~on, on)[1] - 0.5) < 0.1


def test_probe_scores_rank_the_held_out_rows_as_probe_auroc():
    acts, labels, select = planted(1, seed=2)
    scores = probe_scores(acts, labels, select)
    assert scores.shape == (600,)
    assert readout_interference(scores, labels, ~select, ~select)[0] == probe_auroc(acts, labels, select)


def test_probe_direction_points_along_the_planted_neuron_in_raw_units():
    acts, labels, select = planted(1, seed=5)
    acts = acts * torch.linspace(1.0, 10.0, 30)  # scales differ: the raw-space weights undo them
    direction = probe_direction(acts, labels, select)
    assert direction.shape == (30,) and abs(float(direction.norm()) - 1.0) < 1e-9
    assert int(direction.abs().argmax()) == 0
