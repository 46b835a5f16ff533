"""Registry of toy training tasks.

A task is a function ``(generator, batch_size) -> (tokens, loss_mask)``:

- ``tokens``: ``[batch, seq]`` int64 token ids,
- ``loss_mask``: ``[batch, seq - 1]`` bool, True where the next-token prediction at that
  position is part of the training loss.

Tasks are registered by name (``catalog/`` registers the concrete ones) so that a model spec can
name its task in plain, hashable text.
"""

from __future__ import annotations

from typing import Callable

import torch

from harness.models.registry import Registry

TaskFn = Callable[[torch.Generator, int], tuple[torch.Tensor, torch.Tensor]]

TASKS: Registry[TaskFn] = Registry("task")


def register_task(name: str) -> Callable[[TaskFn], TaskFn]:
    """Decorator: register ``fn`` as the training task ``name``."""
    return TASKS.named(name)


def get_task(name: str) -> TaskFn:
    return TASKS[name]


def task_batch(task: str, batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(tokens [b, s], loss_mask [b, s - 1], targets [b, s - 1])`` drawn by ``task`` with a
    generator seeded ``seed`` (targets: the task's own, else the next token)."""
    tokens, loss_mask, *targets = get_task(task)(torch.Generator().manual_seed(seed), batch)
    return tokens, loss_mask, targets[0] if targets else tokens[:, 1:]
