"""Metrics over logits: per-token loss, loss on a slice of positions, logit difference,
KL divergence, accuracy, fraction of effect recovered."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from harness.interp.ablation import run_with_hooks
from harness.interp.hooks import UNEMBED_IN_HOOK, Hook

# a patching metric: logits [batch, seq, d_vocab] -> 0-d tensor
Metric = Callable[[torch.Tensor], torch.Tensor]


def last_position(act: torch.Tensor, hook=None) -> torch.Tensor:
    """[batch, pos, d_model] -> [batch, 1, d_model]: the last position only."""
    return act[:, -1:]


def metric_hooks(model, metric: Metric) -> list[Hook]:
    """Hooks a patched run can add for ``metric``: where the metric reads only the last
    position's logits (``answer_logit_diff`` at -1; ``metric.last_position_only``), the
    unembedding runs on that position alone, the logits then [batch, 1, d_vocab]. In SmolLM2
    (49k vocabulary, d_model 576) the unembedding is a fifth of a pass's arithmetic."""
    if getattr(metric, "last_position_only", False) and UNEMBED_IN_HOOK in getattr(model, "hook_dict", {}):
        return [(UNEMBED_IN_HOOK, last_position)]
    return []


def metric_with_hooks(model, tokens: torch.Tensor, hooks: list[Hook], metric: Metric) -> float:
    """``metric`` of a run on ``tokens`` with ``hooks``; without hooks, of the clean pass (shared
    through the activation memo)."""
    return float(metric(run_with_hooks(model, tokens, (hooks + metric_hooks(model, metric)) if hooks else [])))


def per_token_loss(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy. logits: [batch, seq, d_vocab]; tokens: [batch, seq]
    -> [batch, seq - 1], entry i is the loss of predicting ``tokens[:, i + 1]``."""
    log_probs = F.log_softmax(logits[:, :-1].float(), dim=-1)
    return -log_probs.gather(-1, tokens[:, 1:, None].to(log_probs.device)).squeeze(-1)


def mean_loss(logits: torch.Tensor, tokens: torch.Tensor, positions: slice = slice(None)) -> torch.Tensor:
    """Mean next-token loss over the prediction positions ``positions`` (indices into
    ``per_token_loss``), as a 0-d tensor."""
    return per_token_loss(logits, tokens)[:, positions].mean()


def logit_diff(logits: torch.Tensor, correct: torch.Tensor, wrong: torch.Tensor) -> torch.Tensor:
    """logits: [batch, d_vocab] (final position); correct, wrong: [batch] token ids -> [batch]."""
    correct, wrong = correct.to(logits.device), wrong.to(logits.device)
    return logits.gather(-1, correct[:, None]).squeeze(-1) - logits.gather(-1, wrong[:, None]).squeeze(-1)


def kl_divergence(logits: torch.Tensor, clean_logits: torch.Tensor) -> torch.Tensor:
    """KL(clean || patched) per position. logits, clean_logits: [..., d_vocab] -> [...]."""
    clean_log_probs = F.log_softmax(clean_logits.float(), dim=-1)
    log_probs = F.log_softmax(logits.float(), dim=-1)
    return (clean_log_probs.exp() * (clean_log_probs - log_probs)).sum(-1)


def top_k_accuracy(logits: torch.Tensor, targets: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Fraction of rows whose target is among the top-k logits. logits: [n, d_vocab]; targets: [n]."""
    top = logits.topk(k, dim=-1).indices
    return (top == targets[:, None]).any(-1).float().mean()


def fraction_recovered(patched: torch.Tensor, clean: torch.Tensor, corrupted: torch.Tensor) -> torch.Tensor:
    """(patched - corrupted) / (clean - corrupted): 1 = clean behaviour, 0 = corrupted
    behaviour (the normalisation of Wang et al. 2022, IOI)."""
    return (patched - corrupted) / (clean - corrupted)


def answer_logit_diff(correct: torch.Tensor, wrong: torch.Tensor, pos: int = -1):
    """A patching metric: logits [batch, seq, d_vocab] -> 0-d mean over the batch of
    logit(correct) - logit(wrong) at position ``pos`` (correct, wrong: [batch] token ids)."""

    def metric(logits: torch.Tensor) -> torch.Tensor:
        return logit_diff(logits[:, pos], correct.to(logits.device), wrong.to(logits.device)).mean()

    metric.last_position_only = pos == -1

    return metric


def repeated_halves(half_len: int) -> tuple[slice, slice]:
    """Prediction positions (indices into ``per_token_loss``) on repeated random tokens (``[BOS, r_1..r_L, r_1..r_L]``):
    the first half (tokens 2..L, skipping the unpredictable first one) and the repeat's
    predictable tokens (L+2..2L, the first repeated token cannot be known)."""
    return slice(1, half_len), slice(half_len + 1, 2 * half_len)


def repeated_halves_loss(model, tokens: torch.Tensor, half_len: int, hooks=()) -> tuple[float, float]:
    """(first-half loss, repeated-half loss) of a run on repeated random tokens (``[BOS, r_1..r_L, r_1..r_L]``) with
    ``hooks`` (a hook list, e.g. from ``ablation``)."""
    logits = run_with_hooks(model, tokens, list(hooks))
    first, repeat = repeated_halves(half_len)
    return float(mean_loss(logits, tokens, first)), float(mean_loss(logits, tokens, repeat))
