"""Accuracy of a toy transformer on a registered task's batch (the task's own targets)."""

from __future__ import annotations

import torch

from harness.tasks import get_task


def task_batch(task: str, batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(tokens [b, s], loss_mask [b, s - 1], targets [b, s - 1])`` drawn by ``task`` with a
    generator seeded ``seed`` (targets: the task's own, else the next token)."""
    tokens, loss_mask, *targets = get_task(task)(torch.Generator().manual_seed(seed), batch)
    return tokens, loss_mask, targets[0] if targets else tokens[:, 1:]


def correct_predictions(model, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``[b, s - 1]`` bool: the argmax prediction at position i equals ``targets[:, i]``."""
    with torch.no_grad():
        logits = model(tokens)
    return logits[:, :-1].argmax(dim=-1).cpu() == targets


def masked_accuracy(correct: torch.Tensor, mask: torch.Tensor) -> float:
    """Share of True in ``correct`` ``[b, s - 1]`` over the positions where ``mask``."""
    return float(correct[mask].float().mean())


def task_accuracy(model, task: str, batch: int, seed: int) -> float:
    """Share of the loss-masked positions of a fresh ``task_batch`` the model gets right."""
    tokens, mask, targets = task_batch(task, batch, seed)
    return masked_accuracy(correct_predictions(model, tokens, targets), mask)


def sequence_accuracy(correct: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[b]`` bool: every masked position of the row is correct."""
    return (correct | ~mask).all(dim=1)


def position_losses(model, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``[s - 1]`` mean cross-entropy (over the batch) of predicting ``targets[:, i]`` at i."""
    with torch.no_grad():
        logits = model(tokens)[:, :-1].float().cpu()
    return torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none").mean(dim=0)
