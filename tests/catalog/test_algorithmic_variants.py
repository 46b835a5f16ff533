"""Datasets and helpers of the 3.11 / 3.29 models: noisy digits, interpolation threshold, the
multi-task input."""

import torch
from sklearn.datasets import load_digits

from catalog.double_descent import DIGITS_TRAIN, interpolation_threshold, noisy_digits
from catalog.modular import MOD_P, MOD_PROBLEMS
from catalog.modular_variants import multitask_dataset, multitask_inputs


def test_digits_noise_only_on_training_labels():
    inputs, labels, train_mask = noisy_digits()
    clean = torch.tensor(load_digits().target)
    assert int(train_mask.sum()) == DIGITS_TRAIN and inputs.shape == (1797, 64)
    assert torch.equal(labels[~train_mask], clean[~train_mask])
    changed = float((labels[train_mask] != clean[train_mask]).float().mean())
    assert 0.12 < changed < 0.24  # 20% redrawn, a tenth of those to their own class


def test_interpolation_threshold_is_the_first_width_that_fits():
    assert interpolation_threshold({1: 0.5, 4: 0.005, 2: 0.02, 8: 0.0}) == 4
    assert interpolation_threshold({1: 0.5, 2: 0.2}) is None


def test_multitask_input_marks_the_task():
    inputs = multitask_inputs("sub")
    assert inputs.shape == (MOD_P**2, 2 * MOD_P + 2)
    assert torch.equal(inputs[:, -2:], torch.tensor([[0.0, 1.0]]).expand(MOD_P**2, 2))
    data, labels, train_mask = multitask_dataset()
    assert torch.equal(labels[MOD_P**2:], MOD_PROBLEMS["sub"].labels) and int(train_mask.sum()) == 2 * int(MOD_PROBLEMS["add"].train_mask.sum())
