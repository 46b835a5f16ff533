"""Counting the forward passes each loaded model runs, against the passes the run needed.

Every pass is counted at the model's embedding (the one module every full pass of a
``TransformerBridge`` enters; TransformerLens calls ``forward`` directly, which skips the root
module's hooks), at the block where it resumes (``start_at_layer``) or, for other models, at the
root module. A pass is *clean* when its only
forward hooks are TransformerLens's caching hooks: a clean pass over tokens some earlier clean
pass already read could have been served from that pass's activations, so it was not needed. A
pass with any other hook (patching, ablation, our own readers) counts as needed.

``needed = patched passes + distinct inputs of the clean passes``; ``run / needed`` is the
redundancy a per-worker activation cache removes. The tokens and the estimated forward FLOPs
(``harness.models.flops``) of the needed passes are summed too: the work a perfect
implementation could not avoid (backward passes are not counted). A transformer's FLOPs are
added as its blocks and unembedding finish, so a pass that stops early (``stop_at_layer``) or
unembeds only the last position counts what it computed.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import torch

from harness.interp.activation_cache import tokens_digest

from harness.models.flops import forward_flops, layer_flops, unembed_flops

#: names of the hook functions that only cache: TransformerLens's ``run_with_cache`` adds the first
#: two, the memo's full pass (``activation_cache.forward_pass``) the third
CACHING_HOOKS = frozenset({"cache_hook", "save_hook", "capture_hook"})


@dataclasses.dataclass
class PassCount:
    run: int = 0
    patched: int = 0
    clean_inputs: set[str] = dataclasses.field(default_factory=set)
    needed_tokens: int = 0
    needed_flops: int = 0
    shape: tuple[int, int] | None = None  # [batch, seq] of the transformer pass now running, if needed

    @property
    def needed(self) -> int:
        return self.patched + len(self.clean_inputs)


_counts: dict[str, PassCount] = {}
COUNTED = ("run", "needed", "needed_tokens", "needed_flops")


def user_hook_name(handle: Any) -> str:
    hook = getattr(handle, "user_hook", None)
    return getattr(getattr(hook, "func", hook), "__name__", "")


def only_caching_hooks(model: torch.nn.Module) -> bool:
    """Whether every forward hook on the model's hook points is a TransformerLens caching hook."""
    hook_points = getattr(model, "hook_dict", {}).values()
    return all(user_hook_name(handle) in CACHING_HOOKS for point in hook_points for handle in point.fwd_hooks)


def first_tensor(args: tuple, kwargs: dict) -> torch.Tensor | None:
    """The first tensor argument of a pass (the tokens)."""
    return next((a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)), None)


def input_digest(tensor: torch.Tensor | None) -> str:
    """sha1 of the tokens: dtype, shape and bytes (``activation_cache.tokens_digest``)."""
    return "no tensor input" if tensor is None else tokens_digest(tensor)


def count_pass(label: str, model: torch.nn.Module, module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
    count = _counts.setdefault(label, PassCount())
    count.run += 1
    count.shape = None
    tokens = first_tensor(args, kwargs)
    if only_caching_hooks(model):
        digest = input_digest(tokens)
        if digest in count.clean_inputs:
            return
        count.clean_inputs.add(digest)
    else:
        count.patched += 1
    if tokens is None:
        return
    if layered(model) and tokens.dim() in (2, 3):  # token ids at the embedding, a residual where a pass resumes
        count.shape = tuple(tokens.shape[:2])  # the blocks and the unembedding add their FLOPs
        count.needed_tokens += tokens.shape[:2].numel()
    else:
        count.needed_tokens += tokens.numel()
        count.needed_flops += forward_flops(model, tokens)


def count_resumed_pass(label: str, model: torch.nn.Module, index: int, block: torch.nn.Module, args: tuple, kwargs: dict) -> None:
    """A pass resumed at this block (``start_at_layer``, ``harness.interp.resume``) enters no embedding: it counts here."""
    if getattr(block, "_start_at_layer_idx", None) == index:
        count_pass(label, model, block, args, kwargs)


def count_block(label: str, model: torch.nn.Module, *hook_args) -> None:
    count = _counts.setdefault(label, PassCount())  # a block called on its own before any pass adds nothing
    if count.shape is not None:
        count.needed_flops += layer_flops(model.cfg, *count.shape)


def count_unembed(label: str, model: torch.nn.Module, module: torch.nn.Module, args: tuple, logits: torch.Tensor) -> None:
    count = _counts.setdefault(label, PassCount())
    if count.shape is not None:
        count.needed_flops += unembed_flops(model.cfg, logits.numel() // model.cfg.d_vocab)


def layered(model: torch.nn.Module) -> bool:
    """Whether ``model`` is a transformer whose blocks and unembedding ``watch`` hooks."""
    return (hasattr(getattr(model, "cfg", None), "d_head") and isinstance(getattr(model, "blocks", None), torch.nn.ModuleList)
            and isinstance(getattr(model, "unembed", None), torch.nn.Module))


def watch(model: Any, label: str) -> None:
    """Count ``model``'s forward passes under ``label`` (e.g. ``toy-attn-2l-seed0``)."""
    if not isinstance(model, torch.nn.Module):
        return
    entry = model.embed if isinstance(getattr(model, "embed", None), torch.nn.Module) else model
    entry.register_forward_pre_hook(functools.partial(count_pass, label, model), with_kwargs=True)
    if layered(model):
        for index, block in enumerate(model.blocks):
            block.register_forward_pre_hook(functools.partial(count_resumed_pass, label, model, index), with_kwargs=True)
            block.register_forward_hook(functools.partial(count_block, label, model))
        model.unembed.register_forward_hook(functools.partial(count_unembed, label, model))


def snapshot() -> dict[str, dict[str, int]]:
    """``{label: {"run": ..., "needed": ..., "needed_tokens": ..., "needed_flops": ...}}`` of this process so far."""
    return {label: {"run": c.run, "needed": c.needed, "needed_tokens": c.needed_tokens, "needed_flops": c.needed_flops}
            for label, c in _counts.items()}


def describe(totals: dict[str, Any]) -> str:
    """"120 run / 40 needed (3.0x)" of ``total``'s record."""
    if not totals.get("run"):
        return "none counted"
    return f"{totals['run']} run / {totals['needed']} needed ({totals['run'] / max(totals['needed'], 1):.1f}x)"


def total(snapshots: list[dict[str, dict[str, int]]]) -> dict[str, Any]:
    """The run's totals from each worker's last snapshot (a model loaded by two workers counts twice)."""
    per_model: dict[str, dict[str, int]] = {}
    for shot in snapshots:
        for label, count in shot.items():
            merged = per_model.setdefault(label, dict.fromkeys(COUNTED, 0))
            for key in COUNTED:
                merged[key] += count.get(key, 0)  # records from before the tokens were counted lack them
    totals = {key: sum(c[key] for c in per_model.values()) for key in COUNTED}
    return {**totals, "per_model": dict(sorted(per_model.items()))}
