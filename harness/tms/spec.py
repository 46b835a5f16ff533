"""Registered, seeded, disk-cached toy models of superposition.

A ``TMSSpec`` says what to build (``TMSModelConfig``), on which data
(``TMSDataConfig``) and how to train it (a ``harness.models.training.TrainConfig``, by default
``TMS_TRAINING``). ``spec.load(seed, root)``
returns a ``TMSRun``: the trained module (one instance per density of the sweep, trained in
one batch), the per-instance densities and importance, the training meta, and a function drawing
fresh evaluation batches from the training distribution.

The weights live in the content-addressed disk cache (``harness.models.trained.TrainedSpec``),
keyed by the full config, the seed and ``TMS_CODE_VERSION`` (bump it when a change to
``harness.tms`` changes trained weights). Same seed -> same weights on one machine: the seed
initialises the model (private generator) and seeds the data and dropout streams.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar

import torch
from torch import nn

from harness.models.disk_cache import Artifact
from harness.models.progress import progress_to_terminal
from harness.models.trained import TrainedSpec, join_checkpoints
from harness.models.training import TrainConfig
from harness.plain import plain

from harness.tms.data import (
    computation_target, default_distribution, importance_weights, make_classification_batch_fn,
    make_computation_batch_fn, make_feature_batch_fn,
)
from harness.tms.evaluate import output_r2, single_input_r2
from harness.tms.models import ComputationModel, ReLUOutputModel, widened
from harness.tms.train import TMS_TRAINING, split_batch, tms_loss, train_tms


# part of every cache key; bump when harness.tms changes what a config trains to.
TMS_CODE_VERSION = 1

#: Evaluation batches use generator seed ``EVAL_SEED_OFFSET + seed + offset``, never a training seed.
EVAL_SEED_OFFSET = 1_000_003

#: A fine-tuning run (``TMSRun.widened``) draws its data with seed ``FINE_TUNE_SEED_OFFSET + seed``.
FINE_TUNE_SEED_OFFSET = 2_000_003

#: Ours: an instance is trained out when its loss changed by < 5% over the last logging interval,
#: or by no more than 3 standard deviations of batch-to-batch noise beyond that (``TMSRun.unconverged``).
CONVERGENCE_TOLERANCE = 0.05
CONVERGENCE_SDS = 3.0


@dataclasses.dataclass(frozen=True)
class TMSModelConfig:
    """``kind="relu_output"``: ``ReLUOutputModel`` (n_features -> n_hidden -> n_features);
    ``kind="computation"``: ``ComputationModel`` (n_features inputs, ``n_hidden`` neurons per
    layer, ``n_outputs`` outputs)."""

    kind: str
    n_features: int
    n_hidden: int
    activation: str = "relu"
    hidden_dropout: float = 0.0
    n_outputs: int | None = None
    n_layers: int = 1
    output_activation: str = "none"

    def build(self, n_instances: int, seed: int) -> nn.Module:
        if self.kind == "relu_output":
            return ReLUOutputModel(n_instances, self.n_features, self.n_hidden, activation=self.activation,
                                   hidden_dropout=self.hidden_dropout, seed=seed)
        if self.kind == "computation":
            return ComputationModel(n_instances, self.n_features, self.n_hidden, n_outputs=self.n_outputs,
                                    n_layers=self.n_layers, activation=self.activation,
                                    output_activation=self.output_activation, seed=seed)
        raise ValueError(f"unknown model kind {self.kind!r}; expected 'relu_output' or 'computation'")


@dataclasses.dataclass(frozen=True)
class TMSDataConfig:
    """``densities``: one entry per instance, each a feature probability ``1 - S`` (float) or a
    tuple of per-feature probabilities (non-uniform sparsity). ``task``: ``"autoencode"``,
    ``"compute"`` (``target`` names a ``harness.tms.data`` target) or ``"classify"``.
    ``importance_decay``: ``I_i = decay ** i`` over the outputs (paper: 0.7 for n=20)."""

    densities: tuple[float | tuple[float, ...], ...]
    task: str = "autoencode"
    distribution: str | None = None
    target: str | None = None
    n_groups: int | None = None
    importance_decay: float = 1.0

    @property
    def n_instances(self) -> int:
        return len(self.densities)

    @property
    def loss(self) -> str:
        """The ``harness.tms.train.tms_loss`` of the task (cross-entropy for ``"classify"``)."""
        return "cross_entropy" if self.task == "classify" else "mse"

    def density_tensor(self) -> torch.Tensor:
        """``[instances]`` or ``[instances, features]`` feature probabilities."""
        return torch.tensor(self.densities, dtype=torch.float32)

    def batch_fn(self, batch_size: int, n_features: int) -> Callable[[torch.Generator], Any]:
        p = self.density_tensor()
        if self.task == "autoencode":
            return make_feature_batch_fn(batch_size, self.n_instances, n_features, p,
                                         self.distribution or "uniform")
        if self.task == "compute":
            return make_computation_batch_fn(batch_size, self.n_instances, n_features, p,
                                             target=self.target or "abs", distribution=self.distribution,
                                             n_groups=self.n_groups)
        if self.task == "classify":
            return make_classification_batch_fn(batch_size, self.n_instances, n_features, p,
                                                self.distribution or "uniform")
        raise ValueError(f"unknown task {self.task!r}; expected 'autoencode', 'compute' or 'classify'")


@dataclasses.dataclass
class TMSRun:
    """A trained toy model with what is needed to measure it.

    ``net``: the module (eval mode); ``densities``: ``[instances]`` or ``[instances, features]``;
    ``meta``: the cache entry's meta (``losses``: (step, per-instance training loss),
    ``train_seconds`` ...)."""

    spec: "TMSSpec"
    seed: int
    net: nn.Module
    meta: dict[str, Any]

    @property
    def densities(self) -> torch.Tensor:
        return self.spec.data.density_tensor()

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def instance(self, density: float) -> int:
        """Index of the instance trained at (uniform) feature probability ``density``."""
        dens = self.densities
        if dens.ndim != 1:
            raise ValueError("instance(density) needs one density per instance")
        idx = int((dens - density).abs().argmin())
        if abs(float(dens[idx]) - density) > 1e-6:
            raise KeyError(f"{self.spec.name} has no instance at density {density}; has {dens.tolist()}")
        return idx

    def loss_change(self, instance: int) -> float:
        """Relative change of the instance's logged training loss over the last logging interval
        (``train.log_every`` steps): ``|loss(end) - loss(end - interval)| / loss(end)``; a
        convergence check for claims that need a trained-out model."""
        (_, before), (_, last) = self.meta["losses"][-2:]
        return abs(last[instance] - before[instance]) / last[instance]

    def instances(self, density: float) -> list[int]:
        """Indices of all instances trained at (uniform) feature probability ``density``."""
        return [k for k, d in enumerate(self.densities.tolist()) if abs(d - density) <= 1e-6]

    def batch_loss_noise(self, n_batches: int = 32) -> torch.Tensor:
        """Standard deviation of each instance's training loss over ``n_batches`` fresh batches
        of the training batch size at the final weights: ``[instances]``, the sampling noise of
        one logged loss (large at high sparsity, where a batch holds few present features)."""
        with torch.no_grad():
            losses = [tms_loss(self.net(x), y, self.spec.importance(), self.spec.data.loss)
                      for x, y in (split_batch(self.eval_batch(self.spec.train.batch_size, offset=k))
                                   for k in range(n_batches))]
        return torch.stack(losses).std(0)

    def unconverged(self, instances) -> float:
        """Convergence check: the largest, over ``instances`` (indices), change of the logged
        loss over the last interval beyond ``CONVERGENCE_TOLERANCE`` of the final loss, in
        standard deviations of the difference of two batch losses (``sqrt(2)`` x
        ``batch_loss_noise``). 0 when every change is within the tolerance; an instance is
        trained out, within sampling noise, below ``CONVERGENCE_SDS``."""
        (_, before), (_, last) = self.meta["losses"][-2:]
        noise = self.batch_loss_noise() * 2 ** 0.5
        # a constant batch loss (a dead instance) has no noise: any change beyond 5% then counts fully
        return max(max(0.0, abs(last[k] - before[k]) - CONVERGENCE_TOLERANCE * last[k]) / max(float(noise[k]), 1e-12)
                   for k in map(int, instances))

    def labels(self) -> list[str]:
        """``"S=0.99"`` per instance (``"instance k"`` for per-feature densities)."""
        dens = self.densities
        if dens.ndim != 1:
            return [f"instance {k}" for k in range(dens.shape[0])]
        return [f"S={1 - d:.4g}" for d in dens.tolist()]

    def by_sparsity(self, values) -> dict[str, Any]:
        """``{"S=0.99": value}``: one entry per instance, for notes in the report. ``values``: a
        sequence or a tensor ``[instances, ...]`` (floats rounded to 3 decimals)."""
        return dict(zip(self.labels(), plain(values, 3)))

    def eval_batch(self, batch_size: int = 4096, offset: int = 0):
        """A fresh batch from the training distribution (``x`` or ``(x, y)``), from a generator
        seeded apart from training."""
        gen = torch.Generator()
        gen.manual_seed(EVAL_SEED_OFFSET + self.seed + offset)
        with torch.no_grad():
            batch = self.spec.data.batch_fn(batch_size, self.spec.model.n_features)(gen)
        if isinstance(batch, tuple):
            return tuple(t.to(self.device) for t in batch)
        return batch.to(self.device)

    def target_fn(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """``x [..., n_features] -> y`` for a ``"compute"`` model (the identity for autoencoders)."""
        data = self.spec.data
        if data.task == "autoencode":
            return lambda x: x
        if data.task != "compute":
            raise ValueError(f"{self.spec.name}: task {data.task!r} has no elementwise target")
        return computation_target(data.target or "abs", self.spec.model.n_features, n_groups=data.n_groups)

    def computed_r2(self, batch_size: int = 20_000) -> torch.Tensor:
        """Per-output R² of the model on a fresh batch of its training distribution
        (``harness.tms.evaluate.output_r2``): ``[instances, outputs]``."""
        x, y = self.eval_batch(batch_size)
        with torch.no_grad():
            return output_r2(self.net(x), y)

    def single_input_r2(self, n_values: int = 41) -> torch.Tensor:
        """R² when one input at a time is active, over ``n_values`` values spanning the input
        distribution's range (``harness.tms.evaluate.single_input_r2``):
        ``[instances, n_features]``."""
        data = self.spec.data
        low = -1.0 if (data.distribution or default_distribution(data.target or "abs")) == "signed_uniform" else 0.0
        values = torch.linspace(low, 1.0, n_values, device=self.device)
        return single_input_r2(self.net, self.target_fn(), self.spec.model.n_features,
                               self.spec.data.n_instances, values)

    def widened(self, factor: int, noise: float, steps: int) -> ComputationModel:
        """Open problem 4.44: a copy of the (one-hidden-layer) net with every neuron copied
        ``factor`` times (``harness.tms.models.widened``, noise ``noise``, seeded with the run's
        seed), then fine-tuned ``steps`` steps of the spec's training on fresh data of its
        distribution, the output bias frozen; trained on the CPU as every toy model, returned in
        eval mode on the run's device (the run's own net is untouched)."""
        net = widened(self.net, factor, noise, self.seed)
        net.b_out.requires_grad_(False)
        train_tms(net, self.spec.data.batch_fn(self.spec.train.batch_size, self.spec.model.n_features),
                  self.spec.importance(), dataclasses.replace(self.spec.train, steps=steps),
                  FINE_TUNE_SEED_OFFSET + self.seed, self.spec.data.loss)
        return net.to(self.device)

    def to(self, device: str | torch.device) -> "TMSRun":
        self.net.to(device)
        return self


@dataclasses.dataclass(frozen=True)
class TMSSpec(TrainedSpec):
    """A registered toy model of superposition (see the module docstring)."""

    model: TMSModelConfig
    data: TMSDataConfig
    train: TrainConfig = TMS_TRAINING

    KIND: ClassVar[str] = "tms"
    CODE_VERSION: ClassVar[int] = TMS_CODE_VERSION

    def build(self, seed: int) -> nn.Module:
        return self.model.build(self.data.n_instances, seed)

    def importance(self) -> torch.Tensor:
        """Loss weights ``[outputs]``: ``I_i = importance_decay ** i``."""
        return importance_weights(self.model.n_outputs or self.model.n_features, self.data.importance_decay)

    def train_artifact(self, seed: int) -> Artifact:
        result = train_tms(
            self.build(seed), self.data.batch_fn(self.train.batch_size, self.model.n_features), self.importance(),
            self.train, seed, self.data.loss, f"{self.name} seed {seed}", progress_to_terminal,
        )
        meta = {"model": self.name, "losses": result.losses, "train_seconds": result.seconds,
                "densities": self.data.density_tensor().tolist(), "torch": torch.__version__}
        return join_checkpoints(result.state_dict, result.checkpoints), meta

    def from_state(self, state: dict[str, torch.Tensor], seed: int, meta: dict[str, Any], label: str) -> TMSRun:
        net = self.build(seed)
        net.load_state_dict(state)
        return TMSRun(self, seed, net.eval(), meta)
