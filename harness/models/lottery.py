"""Lottery tickets (Frankle and Carbin 2019, "The Lottery Ticket Hypothesis", ICLR 2019) of a
dense ``MLPSpec``: its trained weights (same seed) give a pruning mask, the network is rewound to
the dense run's own initial weights with that mask and retrained. Masks use
``torch.nn.utils.prune``; pruned weights stay zero through training (``weight = weight_orig *
weight_mask``). Deviation from the paper: one-shot pruning (its section 5 compares it with the
iterative pruning it prefers), to train once per ticket."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch.nn.utils import prune

from harness.models.disk_cache import Artifact, default_cache_root
from harness.models.mlp import MLPSpec, OneHiddenLayerMLP
from harness.models.trained import TrainedSpec
from harness.models.training import TrainConfig

LOTTERY_CODE_VERSION = 1
MASKS = ("magnitude", "random")
LAYERS = ("fc_in", "fc_out")


@dataclasses.dataclass(frozen=True)
class LotteryTicketSpec(TrainedSpec):
    """``dense`` pruned to ``keep`` of the weights of each layer (biases are not pruned, as in
    the paper), rewound to its initial weights at the same seed and retrained with ``train``.
    ``mask``: ``"magnitude"`` keeps the largest ``|w|`` of the trained dense model in each layer
    (the paper's layer-wise pruning), ``"random"`` a random mask of the same sparsity per layer
    (the control the issue asks for; the paper's control re-initialises instead)."""

    dense: MLPSpec
    keep: float
    mask: str
    train: TrainConfig

    KIND: ClassVar[str] = "lottery-ticket"
    CODE_VERSION: ClassVar[int] = LOTTERY_CODE_VERSION

    def __post_init__(self) -> None:
        if self.mask not in MASKS:
            raise ValueError(f"unknown mask {self.mask!r}; expected one of {MASKS}")

    def payload(self, seed: int) -> dict[str, Any]:
        return {**super().payload(seed), "dense": self.dense.payload(seed)}

    def masks(self, seed: int, cache_root: Path) -> dict[str, torch.Tensor]:
        """``{layer: weight mask}`` (1 kept, 0 pruned) at ``seed``; the trained dense model comes
        from (or is trained into) ``cache_root``."""
        magnitude = self.mask == "magnitude"
        model = self.dense.load(seed, cache_root) if magnitude else self.dense.init(seed)
        pruner = prune.l1_unstructured if magnitude else prune.random_unstructured
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return {name: pruner(getattr(model, name), "weight", amount=1 - self.keep).weight_mask for name in LAYERS}

    def train_artifact(self, seed: int) -> Artifact:
        return self.train_in(seed, default_cache_root())

    def train_in(self, seed: int, cache_root: Path) -> Artifact:
        model = self.dense.init(seed)  # the rewind: the dense run's own initial weights
        for name, mask in self.masks(seed, cache_root).items():
            prune.custom_from_mask(getattr(model, name), "weight", mask)
        return self.dense.fit(model, self.train, self.name, seed)

    def from_state(self, state: dict[str, torch.Tensor], seed: int, meta: dict[str, Any], label: str) -> OneHiddenLayerMLP:
        model = OneHiddenLayerMLP(self.dense.d_in, self.dense.d_hidden, self.dense.d_out, self.dense.act)
        for name in LAYERS:
            prune.identity(getattr(model, name), "weight")
        model.load_state_dict(state)
        for name in LAYERS:
            prune.remove(getattr(model, name), "weight")  # a plain model whose pruned weights are 0
        return model.eval()
