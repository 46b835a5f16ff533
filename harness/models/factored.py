"""Multi-component regression (Jermyn & Shlegeris 2022, "Multi-Component Learning and
S-Curves"): a fixed rank-1 target matrix ``A = u v^T`` ``[n, n]`` learned by gradient descent on
``L = 1/2 ||A - Â||_F^2``, where the model ``Â`` is one of

- ``"direct"``: ``Â = M``, one component (every entry its own parameter): the post's
  exponential convergence;
- ``"rank1"``: ``Â = a b^T``, two components that only help together: the post's S-curve;
- ``"rank1+skip"``: ``Â = s I + a b^T``, a learned gain ``s`` on an identity path (a residual
  stream's direct path) beside the two components;
- ``"rank1-normalised"``: ``Â = g (a b^T) / ||a b^T||_F``, the product normalised as a LayerNorm
  would, with a learned gain ``g``.

No data: the loss is the whole objective, one deterministic step per optimiser step. The loss
is logged every ``train.log_every`` steps; ``FactoredRun.losses`` is that curve.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch

from harness.models.disk_cache import Artifact
from harness.models.trained import TrainedSpec
from harness.models.training import TrainConfig, optimize

FORMS = ("direct", "rank1", "rank1+skip", "rank1-normalised")
TARGET_SEED = 0  # one target for every model seed: seeds vary the initialisation only


def rank_one_target(n: int) -> torch.Tensor:
    """``[n, n]`` ``u v^T`` of two random unit vectors (``TARGET_SEED``)."""
    u, v = torch.randn(2, n, generator=torch.Generator().manual_seed(TARGET_SEED))
    return torch.outer(u / u.norm(), v / v.norm())


class FactoredModel(torch.nn.Module):
    """``forward() -> Â [n, n]`` (see the module docstring); parameters start at
    ``init_scale`` times a standard normal draw."""

    def __init__(self, n: int, form: str, init_scale: float, seed: int):
        super().__init__()
        if form not in FORMS:
            raise ValueError(f"unknown form {form!r}; expected one of {FORMS}")
        self.form = form
        draw = torch.Generator().manual_seed(seed)
        shapes = {"direct": {"m": (n, n)}}.get(form, {"a": (n,), "b": (n,)})
        shapes = {**shapes, **({"s": (1,)} if form == "rank1+skip" else {"g": (1,)} if form == "rank1-normalised" else {})}
        for name, shape in shapes.items():
            self.register_parameter(name, torch.nn.Parameter(init_scale * torch.randn(shape, generator=draw)))

    def forward(self) -> torch.Tensor:
        if self.form == "direct":
            return self.m
        product = torch.outer(self.a, self.b)
        if self.form == "rank1+skip":
            return self.s * torch.eye(len(self.a)) + product
        if self.form == "rank1-normalised":
            return self.g * product / product.norm()
        return product


@dataclasses.dataclass
class FactoredRun:
    model: FactoredModel
    target: torch.Tensor  # [n, n]
    losses: dict[int, float]  # step -> training loss


@dataclasses.dataclass(frozen=True)
class FactoredSpec(TrainedSpec):
    n: int
    form: str
    init_scale: float
    train: TrainConfig

    KIND: ClassVar[str] = "factored-regression"
    CODE_VERSION: ClassVar[int] = 1

    def train_artifact(self, seed: int) -> Artifact:
        model, target = FactoredModel(self.n, self.form, self.init_scale, seed), rank_one_target(self.n)
        # no progress lines: it trains in about a second, and logs its loss every few steps
        result = optimize(model, lambda: 0.5 * (target - model()).pow(2).sum(), self.train,
                          f"{self.name} seed {seed}", plain_gradient_descent=True)
        return result.state_dict, {"model": self.name, "losses": result.losses, "train_seconds": result.seconds}

    def from_state(self, state: dict[str, torch.Tensor], seed: int, meta: dict[str, Any], label: str) -> FactoredRun:
        model = FactoredModel(self.n, self.form, self.init_scale, seed)
        model.load_state_dict(state)
        return FactoredRun(model.eval(), rank_one_target(self.n), {int(step): loss for step, loss in meta["losses"]})
