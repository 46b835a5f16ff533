"""Helpers for natural-language circuit claims (IOI and others) on top of ``harness.interp.heads``,
``harness.interp.ablation`` and ``harness.interp.dla``: attention between per-prompt positions,
backup (compensation) after an ablation.

Heads are ``(layer, head)`` pairs; scores are ``[n_layers, n_heads]`` tensors.
"""

from __future__ import annotations

import torch

from harness.interp.ablation import ablated, mean_ablate_heads
from harness.interp.dla import LogitAttribution, logit_attribution
from harness.interp.heads import attention_to_targets, top_heads
from harness.interp.hooks import Head


def position_targets(seq: int, query_pos: torch.Tensor, key_pos: torch.Tensor) -> torch.Tensor:
    """[batch, query, key] bool, True at (query_pos[b], key_pos[b]) only: per-prompt positions
    ([batch] each) as targets for ``harness.interp.heads.attention_to_targets``."""
    batch = query_pos.shape[0]
    targets = torch.zeros(batch, seq, seq, dtype=torch.bool)
    targets[torch.arange(batch), query_pos, key_pos] = True
    return targets


def attention_from_to(patterns: torch.Tensor, query_pos: torch.Tensor, key_pos: torch.Tensor) -> torch.Tensor:
    """[n_layers, n_heads]: each head's mean attention from ``query_pos`` to ``key_pos`` (per
    prompt, [batch] each). patterns: [n_layers, batch, n_heads, query, key], as returned by
    ``harness.interp.heads.attention_patterns``."""
    targets = position_targets(patterns.shape[-1], query_pos, key_pos)
    return attention_to_targets(patterns, targets).cpu()


def logit_attribution_with_ablation(model, tokens: torch.Tensor, correct: torch.Tensor, wrong: torch.Tensor,
                                    heads: list[Head], reference_tokens: torch.Tensor) -> LogitAttribution:
    """Direct logit attribution of logit(correct) - logit(wrong) at the last position with
    ``heads`` mean-ablated (per-position means over ``reference_tokens``)."""
    with ablated(model, mean_ablate_heads(model, reference_tokens, heads)):
        return logit_attribution(model, tokens, correct, wrong)


def head_dla_with_ablation(model, tokens: torch.Tensor, correct: torch.Tensor, wrong: torch.Tensor,
                           heads: list[Head], reference_tokens: torch.Tensor) -> torch.Tensor:
    """[n_layers, n_heads]: mean direct effect of each head with ``heads`` mean-ablated."""
    return logit_attribution_with_ablation(model, tokens, correct, wrong, heads, reference_tokens).heads.mean(-1)


def head_mask(scores: torch.Tensor, heads: list[Head]) -> torch.Tensor:
    """[n_layers, n_heads] bool, shaped like ``scores``: True at ``heads``."""
    mask = torch.zeros_like(scores, dtype=torch.bool)
    mask[tuple(zip(*heads))] = True
    return mask


def compensation(before: torch.Tensor, after: torch.Tensor, heads: list[Head]) -> torch.Tensor:
    """Backup behaviour (Wang et al. 2022 section 3.4): the rise of the other heads' summed
    direct effect over the direct effect removed from ``heads``, from per-head direct effects
    ``before`` and ``after`` the ablation ([n_layers, n_heads] each). 0: no compensation;
    1: the loss fully made up."""
    ablated_mask = head_mask(before, heads)
    change = after - before
    return change[~ablated_mask].sum() / -change[ablated_mask].sum()


def backup_share(before: torch.Tensor, after: torch.Tensor, heads: list[Head]) -> torch.Tensor:
    """Backup behaviour for heads with little direct effect of their own (IOI's duplicate-token,
    induction and S-inhibition heads, problem 2.19): the direct-effect gains of the heads outside
    ``heads`` over the direct-effect losses of all heads, from per-head direct effects ``before``
    and ``after`` ablating ``heads`` ([n_layers, n_heads] each). 0: nothing rose; 1: every loss
    (mostly downstream heads that lost their input) made up."""
    change = after - before
    return change[~head_mask(before, heads)].clamp(min=0).sum() / (-change).clamp(min=0).sum()


def backup_heads(before: torch.Tensor, after: torch.Tensor, ablated: list[Head], k: int) -> list[Head]:
    """The ``k`` heads outside ``ablated`` whose direct effect rose most from ``before`` to
    ``after`` the ablation ([n_layers, n_heads] each), largest rise first: the compensating heads."""
    gain = (after - before).masked_fill(head_mask(before, ablated), float("-inf"))
    return top_heads(gain, k)
