"""Spec of a toy transformer trained here: architecture + task + training settings.

Its trained weights live in the content-addressed disk cache; the key is everything that
determines them (architecture, task, training settings, seed, training-code version), not the
model's registered name.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import torch
import importlib.metadata
from transformer_lens.model_bridge import TransformerBridge
from transformer_lens.model_bridge.sources._bridge_builder import build_bridge_from_module
from transformer_lens.model_bridge.sources.native import NativeModel

from harness.models.disk_cache import Artifact, cached_artifact
from harness.models.progress import announce_training, progress_to_terminal
from harness.models.training import (
    TRAINING_CODE_VERSION,
    TrainConfig,
    native_config,
    train_toy_transformer,
)

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


def bridge_from_state_dict(
    arch: dict[str, Any], seed: int, state_dict: dict[str, torch.Tensor], name: str
) -> TransformerBridge:
    """Wrap trained ``NativeModel`` weights in a ``TransformerBridge`` (eval mode, CPU)."""
    cfg = native_config(arch, seed)
    model = NativeModel(copy.deepcopy(cfg))
    model.load_state_dict(state_dict)
    bridge = build_bridge_from_module(
        model, architecture="TransformerLensNative", tl_config=cfg, model_name=name
    )
    return bridge.eval()


def lm_arch(n_layers: int, n_ctx: int, d_vocab: int, *, d_model: int = 64, attn_only: bool = False,
            positional: str = "standard", n_heads: int = 4) -> dict:
    """A small TL-native transformer (LayerNorm; MLPs of 4 d_model GELU unless attention-only)."""
    arch = dict(n_layers=n_layers, d_model=d_model, n_heads=n_heads, d_head=d_model // n_heads,
                n_ctx=n_ctx, d_vocab=d_vocab, attn_only=attn_only, normalization_type="LN",
                positional_embedding_type=positional)
    if not attn_only:
        arch.update(d_mlp=4 * d_model, act_fn="gelu")
    return arch


@dataclasses.dataclass(frozen=True)
class ToyTransformerSpec:
    name: str
    description: str
    arch: dict[str, Any]
    task: str
    train: TrainConfig

    def payload(self, seed: int) -> dict[str, Any]:
        return {
            "kind": "toy-transformer",
            "arch": self.arch,
            "task": self.task,
            "train": dataclasses.asdict(self.train),
            "seed": seed,
            "code_version": TRAINING_CODE_VERSION,
        }

    def artifact(self, seed: int, cache_root: Path) -> Artifact:
        """(tensors, meta) from the disk cache, training on a miss."""

        def build() -> Artifact:
            announce_training(self.name, seed)
            result = train_toy_transformer(
                self.arch, self.task, self.train, seed, progress=progress_to_terminal
            )
            tensors = join_checkpoints(result.state_dict, result.checkpoints)
            meta = {
                "model": self.name,
                "losses": result.losses,
                "train_seconds": result.seconds,
                "torch": torch.__version__,
                "transformer_lens": importlib.metadata.version("transformer-lens"),
            }
            return tensors, meta

        return cached_artifact(cache_root, self.payload(seed), build)

    def load(self, seed: int, cache_root: Path) -> TransformerBridge:
        final, _ = split_checkpoints(self.artifact(seed, cache_root)[0])
        return bridge_from_state_dict(self.arch, seed, final, self.name)

    def checkpoints(self, seed: int, cache_root: Path) -> dict[int, TransformerBridge]:
        """Bridges at every saved training step (``train.checkpoint_every``), by step."""
        _, by_step = split_checkpoints(self.artifact(seed, cache_root)[0])
        return {
            step: bridge_from_state_dict(self.arch, seed, state, f"{self.name}@{step}")
            for step, state in by_step.items()
        }
