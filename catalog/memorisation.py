"""Memorisation (seed problem 3.24): random labels and the MLP that memorises them."""

from __future__ import annotations

import torch

from harness.models.mlp import MLPSpec, register_dataset
from harness.models.registry import register_model
from harness.models.training import TrainConfig

# 3.24 memorisation of random labels by a one-hidden-layer MLP
MEM_POINTS, MEM_DIM, MEM_CLASSES = 1000, 16, 10


@register_dataset("random-labels")
def random_labels():
    """``MEM_POINTS`` Gaussian points with uniform random labels (seed 0), all in training."""
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(MEM_POINTS, MEM_DIM, generator=gen)
    labels = torch.randint(0, MEM_CLASSES, (MEM_POINTS,), generator=gen)
    return inputs, labels, torch.ones(MEM_POINTS, dtype=torch.bool)


register_model(MLPSpec(
    name="memorise-mlp",
    description=f"one-hidden-layer MLP ({MEM_DIM} -> 256 ReLU -> {MEM_CLASSES}) trained full batch to "
                f"memorise {MEM_POINTS} Gaussian points with random labels, AdamW lr 1e-2, 3000 steps",
    dataset="random-labels", d_in=MEM_DIM, d_hidden=256, d_out=MEM_CLASSES, act="relu",
    train=TrainConfig(steps=3000, lr=1e-2, warmup_steps=10, log_every=500),
))
