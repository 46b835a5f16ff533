"""Deep double descent (problem 3.29; Nakkiran et al. 2021, "Deep Double Descent: Where Bigger
Models and More Data Hurt", figure 1: model-wise double descent with label noise): one-hidden-
layer ReLU MLPs of growing width on scikit-learn's 8x8 digits (bundled with the library: no
download), 500 training images with 20% of their labels replaced by random classes, tested on
the other 1297 with clean labels. No weight decay and long full-batch training, so that wide
models interpolate the noisy labels (the paper's setting for the peak)."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits

from harness.models.mlp import MLPSpec, register_dataset
from harness.models.registry import register_model
from harness.models.training import TrainConfig

DIGITS_TRAIN = 500
LABEL_NOISE = 0.2
DATA_SEED = 0  # one split and one set of noisy labels for every model seed
WIDTHS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
DATASET = f"digits-n{DIGITS_TRAIN}-noise{round(100 * LABEL_NOISE)}"


@register_dataset(DATASET)
def noisy_digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs ``[1797, 64]`` (pixels / 16), labels ``[1797]`` (noisy on the training rows,
    clean on the others) and the training mask ``[1797]``."""
    digits = load_digits()
    inputs = torch.tensor(digits.data, dtype=torch.float32) / 16
    labels = torch.tensor(digits.target, dtype=torch.int64)
    generator = torch.Generator().manual_seed(DATA_SEED)
    train_mask = torch.zeros(len(labels), dtype=torch.bool)
    train_mask[torch.randperm(len(labels), generator=generator)[:DIGITS_TRAIN]] = True
    noisy = train_mask & (torch.rand(len(labels), generator=generator) < LABEL_NOISE)
    labels[noisy] = torch.randint(0, 10, (int(noisy.sum()),), generator=generator)
    return inputs, labels, train_mask


# Full batch, AdamW without weight decay, constant learning rate: training to (near) zero
# training error, as Nakkiran et al. train to convergence.
DOUBLE_DESCENT_TRAIN = TrainConfig(steps=3000, lr=3e-3, weight_decay=0.0, warmup_steps=10, log_every=1000)


def width_model(width: int) -> str:
    return f"digits-noisy-mlp-w{width}"


for _width in WIDTHS:
    register_model(MLPSpec(
        name=width_model(_width),
        description=(f"one-hidden-layer MLP (64 pixels -> {_width} ReLU -> 10) on {DIGITS_TRAIN} 8x8 digits with "
                     f"{LABEL_NOISE:.0%} label noise, full batch, AdamW lr 3e-3 no weight decay, "
                     f"{DOUBLE_DESCENT_TRAIN.steps} steps"),
        dataset=DATASET, d_in=64, d_hidden=_width, d_out=10, act="relu", train=DOUBLE_DESCENT_TRAIN,
    ))


def classification_errors(model: torch.nn.Module) -> tuple[float, float]:
    """(error on the (noisy) training labels, error on the clean held-out labels)."""
    inputs, labels, train_mask = noisy_digits()
    with torch.no_grad():
        wrong = model(inputs).argmax(dim=-1) != labels
    return float(wrong[train_mask].float().mean()), float(wrong[~train_mask].float().mean())


def interpolation_threshold(train_errors: dict[int, float], level: float = 0.01) -> int | None:
    """The smallest width whose training error (on the noisy labels) is below ``level``: the
    model fits its training set, label noise included (None if no width does)."""
    return next((w for w in sorted(train_errors) if train_errors[w] < level), None)
