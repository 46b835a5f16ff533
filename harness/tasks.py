"""Registry of toy training tasks.

A task is a function ``(generator, batch_size) -> (tokens, loss_mask)``:

- ``tokens``: ``[batch, seq]`` int64 token ids,
- ``loss_mask``: ``[batch, seq - 1]`` bool, True where the next-token prediction at that
  position is part of the training loss.

Tasks are registered by name (``fixtures/`` registers the concrete ones) so that a model spec can
name its task in plain, hashable text.
"""

from __future__ import annotations

from typing import Callable

import torch

TaskFn = Callable[[torch.Generator, int], tuple[torch.Tensor, torch.Tensor]]

_TASKS: dict[str, TaskFn] = {}


def register_task(name: str) -> Callable[[TaskFn], TaskFn]:
    """Decorator: register ``fn`` as the training task ``name``."""

    def decorate(fn: TaskFn) -> TaskFn:
        if name in _TASKS and _TASKS[name] is not fn:
            raise ValueError(f"task {name!r} is already registered by {_TASKS[name].__module__}")
        _TASKS[name] = fn
        return fn

    return decorate


def get_task(name: str) -> TaskFn:
    try:
        return _TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; registered: {sorted(_TASKS)}") from None
