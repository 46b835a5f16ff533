"""The one training loop (``optimize``: ``TrainConfig`` -> ``TrainResult``), used by the toy
transformers, the MLPs and the toy models of superposition; and seeded training of TL-native toy
transformers on a registered task.

The toy transformer trained is a plain ``NativeModel`` (no hooks, so training is as fast as raw
torch); ``harness.models.memory_cache`` wraps the trained weights in a ``TransformerBridge``.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm
from transformer_lens.config import TransformerBridgeConfig
from transformer_lens.model_bridge.sources.native import NativeModel, initialize_native_model

from harness.models.devices import CPU_KIND, best_device, device_kind
from harness.models.tasks import get_task
from harness.models.threads import single_thread

# Bump when a change to this module changes what a given (spec, seed) trains into:
# it is part of every disk-cache key.
TRAINING_CODE_VERSION = 1

LR_SCHEDULES = ("constant", "linear", "cosine")

log = logging.getLogger("mi_claims.training")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (AdamW); part of the cache key.

    The learning rate rises linearly over ``warmup_steps``, then follows ``lr_schedule``:
    ``"constant"``, or ``"linear"`` / ``"cosine"`` decay to 0 at ``steps``.
    """

    steps: int = 2000
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)  # AdamW's (beta1, beta2)
    warmup_steps: int = 100
    lr_schedule: str = "constant"
    # "float64": the cross-entropy is computed in double precision, as Nanda et al. 2023's code
    # does for grokking runs (in float32, near-zero losses underflow and the loss spikes)
    loss_dtype: str = "float32"
    checkpoint_every: int = 0  # 0: keep only the final weights
    log_every: int = 250  # 0: log the last step only
    # also keep this many checkpoints spaced logarithmically from step 1 to ``steps``: dense where
    # early changes are fast (a task learned in 100 of 3000 steps), sparse later
    log_checkpoints: int = 0
    # ``(start, stop, every)``: also keep every ``every``-th step from ``start`` to ``stop``, where a
    # claim needs a fast change resolved (e.g. a head that forms within 30 steps)
    dense_checkpoints: tuple[int, int, int] = ()
    # the batches are drawn from this seed instead of the model's (same init, another data order);
    # for tasks that draw batches
    data_seed: int | None = None
    # lottery-ticket experiments: slices ``(parameter name, dim, start, stop)`` of the initial
    # weights re-randomised, i.e. replaced by the same slices of a fresh init at ``reinit_seed``
    reinit: tuple[tuple[str, int, int, int], ...] = ()
    reinit_seed: int = 0
    # "best": train on the best device (CUDA when torch sees it), for the replication tier's long
    # runs; the key then holds the device kind that trained it (GPU float sums differ from the
    # CPU's), so a GPU-trained entry is never read as the CPU one. "cpu": every other toy model
    device: str = "cpu"

    # fields added after models were first cached: left out of the cache key at their default,
    # so that the entries of every config that does not use them stay valid
    LATE_FIELDS: ClassVar[dict[str, Any]] = {
        "log_checkpoints": 0, "data_seed": None, "reinit": (), "reinit_seed": 0, "device": CPU_KIND,
        "dense_checkpoints": (),
    }

    def __post_init__(self) -> None:
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"unknown lr_schedule {self.lr_schedule!r}; expected one of {LR_SCHEDULES}")
        if self.loss_dtype not in ("float32", "float64"):
            raise ValueError(f"unknown loss_dtype {self.loss_dtype!r}; expected 'float32' or 'float64'")
        if self.dense_checkpoints and (len(self.dense_checkpoints) != 3 or min(self.dense_checkpoints) < 1):
            raise ValueError(f"dense_checkpoints {self.dense_checkpoints!r}: expected (start, stop, every), each >= 1")
        if self.device not in ("cpu", "best"):
            raise ValueError(f"unknown training device {self.device!r}; expected 'cpu' or 'best'")

    def key(self) -> dict[str, Any]:
        """The fields as the disk-cache key holds them (``LATE_FIELDS`` at their default left out;
        ``device`` as the kind of the device it trains on: "best" on a CPU machine keys as "cpu")."""
        fields = {**dataclasses.asdict(self), "device": device_kind(self.training_device())}
        return {k: v for k, v in fields.items() if not (k in self.LATE_FIELDS and v == self.LATE_FIELDS[k])}

    def checkpoint_steps(self) -> set[int]:
        """The steps whose weights are kept (``checkpoint_every``, ``log_checkpoints`` and
        ``dense_checkpoints``)."""
        regular = set(range(self.checkpoint_every, self.steps + 1, self.checkpoint_every)) if self.checkpoint_every else set()
        spaced = {int(round(s)) for s in np.geomspace(1, self.steps, self.log_checkpoints)} if self.log_checkpoints else set()
        start, stop, every = self.dense_checkpoints or (1, 0, 1)
        return regular | spaced | set(range(start, min(stop, self.steps) + 1, every))

    def training_device(self) -> torch.device:
        return best_device() if self.device == "best" else torch.device(CPU_KIND)

    def initial_model(self, build: Callable[[int], torch.nn.Module], seed: int) -> torch.nn.Module:
        """``build(seed)``, the model's init, with the ``reinit`` slices taken from ``build(reinit_seed)``."""
        model = build(seed)
        if self.reinit:
            fresh, weights = build(self.reinit_seed).state_dict(), model.state_dict()  # views of the parameters
            with torch.no_grad():
                for name, dim, start, stop in self.reinit:
                    weights[name].narrow(dim, start, stop - start).copy_(fresh[name].narrow(dim, start, stop - start))
        return model

    def batch_generator(self, seed: int) -> torch.Generator:
        """The generator the training batches are drawn from: ``data_seed``, else the model's seed."""
        return torch.Generator().manual_seed(seed if self.data_seed is None else self.data_seed)

    def loss_input(self, logits: torch.Tensor) -> torch.Tensor:
        """``logits`` in the precision the loss is computed in (``loss_dtype``)."""
        return logits.to(getattr(torch, self.loss_dtype))

    def lr_factor(self, step: int) -> float:
        """The learning rate at 0-based optimiser ``step``, as a share of ``lr``."""
        warmup = min(1.0, (step + 1) / max(1, self.warmup_steps))
        if self.lr_schedule == "linear":
            return warmup * (1.0 - step / self.steps)
        if self.lr_schedule == "cosine":
            return warmup * 0.5 * (1.0 + math.cos(math.pi * step / self.steps))
        return warmup


@dataclasses.dataclass
class TrainResult:
    state_dict: dict[str, torch.Tensor]
    # (step, training loss), every log_every steps; a list of floats where the loss is one per
    # independent instance (the toy models of superposition)
    losses: list[tuple[int, float | list[float]]]
    checkpoints: dict[int, dict[str, torch.Tensor]]
    seconds: float


@dataclasses.dataclass(frozen=True)
class Resume:
    """Where ``optimize`` saves its whole state every ``every`` steps, and resumes from when the
    file exists: the model, optimiser and schedule, the losses and checkpoints so far, torch's
    global RNG and the ``generators`` that draw the batches. A run killed after step k and
    started again ends in the same weights as one never interrupted; the file is removed at
    the end."""

    path: Path
    every: int
    generators: tuple[torch.Generator, ...] = ()


def native_config(arch: dict[str, Any], seed: int) -> TransformerBridgeConfig:
    """The ``TransformerBridgeConfig`` of a toy architecture (a plain dict) at ``seed``."""
    return TransformerBridgeConfig.from_dict({**arch, "seed": seed, "init_weights": True})


def init_native_model(arch: dict[str, Any], seed: int) -> NativeModel:
    """A freshly initialised ``NativeModel``; same seed -> same weights."""
    cfg = native_config(arch, seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = NativeModel(copy.deepcopy(cfg))
        initialize_native_model(model, cfg)
    return model


def next_token_loss(
    logits: torch.Tensor,
    tokens: torch.Tensor,
    loss_mask: torch.Tensor,
    targets: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean cross-entropy over masked positions.

    logits: [batch, seq, d_vocab]; tokens: [batch, seq]; loss_mask: [batch, seq - 1];
    targets: [batch, seq - 1], what position i must predict (default: the next token,
    ``tokens[:, 1:]``), or [batch, seq - 1, d_vocab] a distribution over tokens to predict.
    """
    targets = tokens[:, 1:] if targets is None else targets
    per_token = F.cross_entropy(
        logits[:, :-1].flatten(0, 1), targets.flatten(0, 1), reduction="none"
    ).view_as(loss_mask)
    return (per_token * loss_mask).sum() / loss_mask.sum().clamp(min=1)


def train_toy_transformer(
    arch: dict[str, Any],
    task: str,
    train: TrainConfig,
    seed: int,
    progress: Callable[[str], None] | None = None,
    init_state: dict[str, torch.Tensor] | None = None,
) -> TrainResult:
    """Train a toy transformer on a registered task, deterministically per seed.

    ``progress`` receives one line every ``train.log_every`` steps (step, loss, elapsed).
    A task may return a third tensor, ``targets`` ``[batch, seq - 1]``, to train on other
    targets than the next token (see ``next_token_loss``). ``init_state``: start from these
    weights (fine-tuning) instead of the seed's initialisation.
    """
    task_fn = get_task(task)
    model = train.initial_model(lambda s: init_native_model(arch, s), seed)
    if init_state is not None:
        model.load_state_dict(init_state)
    device = train.training_device()
    model.to(device)
    data_gen = train.batch_generator(seed)

    def batch_loss() -> torch.Tensor:
        tokens, loss_mask, *targets = (t.to(device) for t in task_fn(data_gen, train.batch_size))
        return next_token_loss(train.loss_input(model(tokens)), tokens, loss_mask, *targets)

    return optimize(model, batch_loss, train, f"{task} seed {seed}", progress)


@single_thread()
def optimize(
    model: torch.nn.Module,
    batch_loss: Callable[[], torch.Tensor],
    train: TrainConfig,
    label: str,
    progress: Callable[[str], None] | None = None,
    plain_gradient_descent: bool = False,
    resume: Resume | None = None,
    tokens_per_step: int = 0,
) -> TrainResult:
    """AdamW over ``train.steps`` calls of ``batch_loss`` (which draws its own batch and returns
    a scalar, or ``[instances]`` losses of independent instances, whose sum is minimised: each
    instance gets exactly its own gradient). Logs every ``train.log_every`` steps and keeps a
    state-dict checkpoint at ``train.checkpoint_steps()``; leaves ``model`` in eval mode.

    ``plain_gradient_descent``: SGD without momentum instead (``train.betas`` unused), for toy
    models whose dynamics are stated for gradient descent (a spec recording it keys on it).

    ``resume``: save and resume the state (``Resume``). ``tokens_per_step``: show a tqdm bar of
    tokens trained, with tokens/s and the time left."""
    device = train.training_device()
    if any(p.device.type != device.type for p in model.parameters()):  # a trainer that forgot to move it: never a silent fallback
        raise ValueError(f"[{label}] the model is not on {device}, where its TrainConfig trains")
    if plain_gradient_descent:
        optimizer = torch.optim.SGD(model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    else:
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=train.lr, weight_decay=train.weight_decay, betas=train.betas
        )
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, train.lr_factor)
    losses: list[tuple[int, float | list[float]]] = []
    checkpoints: dict[int, dict[str, torch.Tensor]] = {}
    keep = train.checkpoint_steps()
    first, before = 1, 0.0  # the first step to run, seconds spent before a resume
    if resume is not None and resume.path.exists():
        saved = torch.load(resume.path, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        torch.set_rng_state(saved["rng"])
        for generator, state in zip(resume.generators, saved["generators"], strict=True):
            generator.set_state(state)
        losses, checkpoints, before, first = saved["losses"], saved["checkpoints"], saved["seconds"], saved["step"] + 1
        log.info(f"[{label}] resumed from step {saved['step']} ({resume.path})")
    start = time.perf_counter() - before
    bar = tqdm(
        total=train.steps * tokens_per_step, initial=(first - 1) * tokens_per_step, unit="tok", unit_scale=True,
        desc=label, file=sys.__stderr__, disable=not tokens_per_step, mininterval=5.0,
    )
    model.train()
    for step in range(first, train.steps + 1):
        loss = batch_loss()
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()
        optimizer.step()
        schedule.step()
        if step == train.steps or (train.log_every and step % train.log_every == 0):
            losses.append((step, loss.tolist()))
            line = (
                f"[{label}] step {step}/{train.steps} "
                f"loss {loss.mean().item():.4f} ({time.perf_counter() - start:.1f}s)"
            )
            log.info(line)
            if progress is not None:
                progress(line)
        if step in keep:
            checkpoints[step] = cpu_copy(model.state_dict())
        bar.update(tokens_per_step)
        if resume is not None and step % resume.every == 0 and step < train.steps:
            save_resume_state(resume, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                "rng": torch.get_rng_state(), "generators": [g.get_state() for g in resume.generators],
                "losses": losses, "checkpoints": checkpoints, "seconds": time.perf_counter() - start, "step": step,
            })
    bar.close()
    if resume is not None:
        resume.path.unlink(missing_ok=True)
    model.eval()
    return TrainResult(
        state_dict=cpu_copy(model.state_dict()),
        losses=losses,
        checkpoints=checkpoints,
        seconds=time.perf_counter() - start,
    )


def cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A copy of a state dict on the CPU, where the disk cache writes it from (a clone on the CPU)."""
    return {k: v.detach().to(CPU_KIND, copy=True) for k, v in state.items()}


def save_resume_state(resume: Resume, state: dict[str, Any]) -> None:
    """Write the state to a temporary file renamed into place: a kill mid-write leaves the
    previous resume point."""
    resume.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = resume.path.with_name(resume.path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, resume.path)
