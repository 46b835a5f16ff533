"""Spec of a toy transformer trained here: architecture + task + training settings, disk-cached
with its training checkpoints (``harness.models.trained.TrainedSpec``)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, ClassVar

import importlib.metadata

import torch
from transformer_lens.model_bridge import TransformerBridge
from transformer_lens.model_bridge.sources._bridge_builder import build_bridge_from_module
from transformer_lens.model_bridge.sources.native import NativeModel

from harness.models.disk_cache import Artifact
from harness.models.progress import progress_to_terminal
from harness.models.trained import TrainedSpec, join_checkpoints
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

    def train_artifact(self, seed: int) -> Artifact:
        result = train_toy_transformer(self.arch, self.task, self.train, seed, progress=progress_to_terminal)
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
