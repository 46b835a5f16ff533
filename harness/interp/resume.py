"""Patched runs that start at the first block their hooks change.

Below the first block a run's hooks touch, a patched run computes exactly the clean run of its
tokens. So it can start from the clean run's residual entering that block (``resid_pre``, from
the activation memo: one pass for every start a measurement needs) and skip the blocks below.
On SmolLM2 (30 blocks) a patch in block 23 then costs a quarter of a pass.

TransformerBridge's own ``start_at_layer`` still runs the blocks below the start, on a discarded
input (TransformerLens 4.3), so the resumed pass runs with the wrapped model's block list cut to
the blocks from the start. That is exact only where the wrapped model's forward loops over the
list and indexes nothing by position in it: the models of ``RESUMABLE``, each tested
bit-identical to full passes. Other models run full passes.
"""

from __future__ import annotations

import contextlib
import re
from typing import Iterable, Iterator

import torch

from harness.interp.activation_cache import clean_run
from harness.interp.hooks import RESID_HOOK, Hook

#: wrapped models (class names) whose forward only loops over the block list: TL's native model, Llama
RESUMABLE = frozenset({"NativeModel", "LlamaForCausalLM"})
AFTER_BLOCKS = ("ln_final.", "unembed.")  # hooks after the last block leave every start exact
BLOCK_HOOK = re.compile(r"^blocks\.(\d+)\.")


def first_block(model, names: Iterable[str]) -> int:
    """The first block that hooks at ``names`` change: their lowest block index; ``n_layers`` if
    they all come after the blocks, 0 if any comes before them (the embeddings)."""
    first = model.cfg.n_layers
    for name in names:
        block = BLOCK_HOOK.match(name)
        if block:
            first = min(first, int(block[1]))
        elif not name.startswith(AFTER_BLOCKS):
            return 0
    return first


def can_resume(model) -> bool:
    return type(getattr(model, "original_model", None)).__name__ in RESUMABLE and hasattr(model, "adapter")


@contextlib.contextmanager
def blocks_from(model, start: int) -> Iterator[None]:
    """Inside the context the wrapped model's block list holds blocks ``start``.. only."""
    parent_path, _, attr = model.adapter.component_mapping["blocks"].name.rpartition(".")
    parent = model.original_model.get_submodule(parent_path)
    blocks = getattr(parent, attr)
    setattr(parent, attr, torch.nn.ModuleList(list(blocks)[start:]))
    try:
        yield
    finally:
        setattr(parent, attr, blocks)


class ResumedRuns:
    """Patched runs of ``model`` on ``tokens`` [batch, pos]. Each starts at the latest of
    ``starts`` (block indices) not past the first block its hooks change. The clean run's
    residuals entering those blocks, and its activations ``names`` (``clean``), come from one
    memoised pass. That pass may be one more than the runs need: without ``names`` they resume
    only where their starts skip at least a pass's blocks in all."""

    def __init__(self, model, tokens: torch.Tensor, starts: Iterable[int], names: Iterable[str] = ()):
        self.model, self.tokens = model, tokens
        names, starts = set(names), list(starts)
        worth_a_pass = names or sum(starts) >= model.cfg.n_layers
        starts = {s for s in starts if 0 < s < model.cfg.n_layers} if can_resume(model) and worth_a_pass else set()
        entry = {start: RESID_HOOK.format(layer=start, where="pre") for start in starts}
        wanted = names | set(entry.values())
        activations = clean_run(model, tokens, wanted).activations if wanted else {}
        self.residuals = {start: activations[name] for start, name in entry.items()}
        self.clean = {name: activations[name] for name in names}

    def run(self, hooks: list[Hook], replicas: int = 1, stop_at_layer: int | None = None) -> torch.Tensor | None:
        """Logits [replicas * batch, pos, d_vocab] of a run with ``hooks`` on ``tokens`` stacked
        ``replicas`` times along the batch (no gradient; what ``run_with_hooks`` returns when
        the run stops before block ``stop_at_layer``)."""
        first = first_block(self.model, (name for name, _ in hooks))
        start = max((s for s in self.residuals if s <= first), default=0)
        with torch.inference_mode():
            if start == 0:
                return self.model.run_with_hooks(self.tokens.repeat(replicas, 1), fwd_hooks=hooks, stop_at_layer=stop_at_layer)
            with blocks_from(self.model, start):
                return self.model.run_with_hooks(self.residuals[start].repeat(replicas, 1, 1), fwd_hooks=hooks,
                                                 start_at_layer=start, stop_at_layer=stop_at_layer)
