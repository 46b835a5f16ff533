"""Accuracy and per-position loss of a toy transformer on a batch with its own targets."""

from __future__ import annotations

import torch

from harness.interp.activation_cache import clean_logits


def correct_predictions(model, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``[b, s - 1]`` bool: the argmax prediction at position i equals ``targets[:, i]``."""
    return clean_logits(model, tokens)[:, :-1].argmax(dim=-1).cpu() == targets


def masked_accuracy(correct: torch.Tensor, mask: torch.Tensor) -> float:
    """Share of True in ``correct`` ``[b, s - 1]`` over the positions where ``mask``."""
    return float(correct[mask].float().mean())


def task_accuracy(model, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> float:
    """Share of the loss-masked positions of ``batch`` (``(tokens [b, s], loss_mask [b, s - 1],
    targets [b, s - 1])``, e.g. a task's) the model gets right."""
    tokens, mask, targets = batch
    return masked_accuracy(correct_predictions(model, tokens, targets), mask)


def sequence_accuracy(correct: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[b]`` bool: every masked position of the row is correct."""
    return (correct | ~mask).all(dim=1)


def token_losses(model, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``[b, s - 1]`` cross-entropy of predicting ``targets[:, i]`` at position i."""
    logits = clean_logits(model, tokens)[:, :-1].float().cpu()
    return torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")


def position_losses(model, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``[s - 1]`` mean cross-entropy (over the batch) of predicting ``targets[:, i]`` at i."""
    return token_losses(model, tokens, targets).mean(dim=0)


def answer_log_probs(model, tokens: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[b]`` log-probability of each row's whole answer under teacher forcing: the sum of
    ``log p(targets[:, i])`` over its masked positions (``mask`` ``[b, s - 1]``); its exp is the
    smooth counterpart of ``sequence_accuracy``."""
    return -(token_losses(model, tokens, targets) * mask).sum(dim=1)
