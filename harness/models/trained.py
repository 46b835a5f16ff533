"""Models trained here: the one spec shape of toy transformers, MLPs and toy models of
superposition.

A ``TrainedSpec`` subclass is a frozen dataclass: ``name`` and ``description``, then the fields
that determine its weights. Its disk-cache key (``payload``) is those fields, the seed, the
subclass's ``KIND`` and its ``CODE_VERSION`` (bump it when a code change changes what a spec
trains to), never the registered name. A subclass says how to train (``train_artifact``) and how
to rebuild a model from saved weights (``from_state``); caching, loading and training
checkpoints are here, once.
"""

from __future__ import annotations

import abc
import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import torch

from harness.models.disk_cache import Artifact, cached_artifact
from harness.models.progress import announce_training
from harness.models.training import TrainConfig

CHECKPOINT_PREFIX = "checkpoint."


def join_checkpoints(
    final: dict[str, torch.Tensor], checkpoints: dict[int, dict[str, torch.Tensor]]
) -> dict[str, torch.Tensor]:
    """One flat tensor dict for the disk cache: the final weights plus
    ``checkpoint.<step>.<param>`` entries."""
    tensors = dict(final)
    for step, state in checkpoints.items():
        tensors.update({f"{CHECKPOINT_PREFIX}{step}.{k}": v for k, v in state.items()})
    return tensors


def split_checkpoints(
    tensors: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[int, dict[str, torch.Tensor]]]:
    """Inverse of ``join_checkpoints``: (final weights, {step: weights}) sorted by step."""
    final: dict[str, torch.Tensor] = {}
    by_step: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith(CHECKPOINT_PREFIX):
            step, param = key[len(CHECKPOINT_PREFIX) :].split(".", 1)
            by_step.setdefault(int(step), {})[param] = value
        else:
            final[key] = value
    return final, dict(sorted(by_step.items()))


@dataclasses.dataclass(frozen=True)
class TrainedSpec(abc.ABC):
    name: str
    description: str

    KIND: ClassVar[str]
    CODE_VERSION: ClassVar[int]

    def payload(self, seed: int) -> dict[str, Any]:
        """What determines the weights: the disk-cache key's content."""
        fields = dataclasses.asdict(self)
        del fields["name"], fields["description"]
        if isinstance(getattr(self, "train", None), TrainConfig):
            fields["train"] = self.train.key()
        return {"kind": self.KIND, **fields, "seed": seed, "code_version": self.CODE_VERSION}

    @abc.abstractmethod
    def train_artifact(self, seed: int) -> Artifact:
        """Train at ``seed``: (tensors for the disk cache, meta), checkpoints joined in with
        ``join_checkpoints``."""

    @abc.abstractmethod
    def from_state(self, state: dict[str, torch.Tensor], seed: int, meta: dict[str, Any], label: str) -> Any:
        """The model with weights ``state``, named ``label``, in eval mode."""

    def train_in(self, seed: int, cache_root: Path) -> Artifact:
        """Train on a cache miss; a spec that starts from another spec's weights (fine-tuning)
        overrides it to load them from ``cache_root``."""
        return self.train_artifact(seed)

    def artifact(self, seed: int, cache_root: Path) -> Artifact:
        """(tensors, meta) from the disk cache, training on a miss."""

        def build() -> Artifact:
            announce_training(self.name, seed)
            return self.train_in(seed, cache_root)

        return cached_artifact(cache_root, self.payload(seed), build)

    def load(self, seed: int, cache_root: Path) -> Any:
        tensors, meta = self.artifact(seed, cache_root)
        return self.from_state(split_checkpoints(tensors)[0], seed, meta, self.name)

    def checkpoints(self, seed: int, cache_root: Path) -> dict[int, Any]:
        """The model at every saved training step (``train.checkpoint_every``), by step."""
        tensors, meta = self.artifact(seed, cache_root)
        return {
            step: self.from_state(state, seed, meta, f"{self.name}@{step}")
            for step, state in split_checkpoints(tensors)[1].items()
        }
