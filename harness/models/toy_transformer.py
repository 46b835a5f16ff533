"""Spec of a toy transformer trained here: architecture + task + training settings, disk-cached
with its training checkpoints (``harness.models.trained.TrainedSpec``)."""

from __future__ import annotations

import copy
import dataclasses
import importlib.metadata
from pathlib import Path
from typing import Any, ClassVar

import torch
from transformer_lens.model_bridge import TransformerBridge
from transformer_lens.model_bridge.sources._bridge_builder import build_bridge_from_module
from transformer_lens.model_bridge.sources.native import NativeModel

from harness.models.disk_cache import Artifact
from harness.models.progress import progress_to_terminal
from harness.models.trained import TrainedSpec, join_checkpoints, split_checkpoints
from harness.models.training import (
    TRAINING_CODE_VERSION,
    TrainConfig,
    native_config,
    train_toy_transformer,
)


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


def head_slices(layer: int, head: int, d_head: int) -> tuple[tuple[str, int, int, int], ...]:
    """An attention head's weights (its rows of Q, K, V and their biases, its columns of O) as
    ``TrainConfig.reinit`` slices of a ``NativeModel`` (heads are contiguous blocks of ``d_head``)."""
    start, stop = head * d_head, (head + 1) * d_head
    attn = f"layers.{layer}.attn"
    return (*((f"{attn}.{proj}.{kind}", 0, start, stop) for proj in "qkv" for kind in ("weight", "bias")),
            (f"{attn}.o.weight", 1, start, stop))


@dataclasses.dataclass(frozen=True)
class ToyTransformerSpec(TrainedSpec):
    arch: dict[str, Any]
    task: str
    train: TrainConfig

    KIND: ClassVar[str] = "toy-transformer"
    CODE_VERSION: ClassVar[int] = TRAINING_CODE_VERSION

    def train_artifact(self, seed: int, init_state: dict[str, torch.Tensor] | None = None) -> Artifact:
        result = train_toy_transformer(self.arch, self.task, self.train, seed, progress=progress_to_terminal,
                                       init_state=init_state)
        meta = {
            "model": self.name,
            "losses": result.losses,
            "train_seconds": result.seconds,
            "torch": torch.__version__,
            "transformer_lens": importlib.metadata.version("transformer-lens"),
        }
        return join_checkpoints(result.state_dict, result.checkpoints), meta

    def from_state(self, state: dict[str, torch.Tensor], seed: int, meta: dict[str, Any], label: str) -> TransformerBridge:
        return bridge_from_state_dict(self.arch, seed, state, label)


@dataclasses.dataclass(frozen=True)
class FineTunedSpec(ToyTransformerSpec):
    """A toy transformer fine-tuned on ``task`` from ``parent``'s final weights at the same seed
    (``arch`` must be the parent's). Its cache key holds the parent's whole key, so retraining
    the parent retrains it; its checkpoints are steps of the fine-tuning run (the parent's final
    weights, its starting point, are not among them)."""

    parent: ToyTransformerSpec | None = None

    KIND: ClassVar[str] = "fine-tuned-transformer"

    def __post_init__(self) -> None:
        if self.parent is None or self.parent.arch != self.arch:
            raise ValueError(f"{self.name}: a fine-tuned spec needs a parent of the same arch")

    def payload(self, seed: int) -> dict[str, Any]:
        return {**super().payload(seed), "parent": self.parent.payload(seed)}

    def train_in(self, seed: int, cache_root: Path) -> Artifact:
        parent_tensors, _ = self.parent.artifact(seed, cache_root)
        return self.train_artifact(seed, init_state=split_checkpoints(parent_tensors)[0])
