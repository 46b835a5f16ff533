"""Deterministic CPU training: one intra-op thread (no heavy imports: the TMS package uses it)."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run on one intra-op thread: float reductions then split the same way whatever the
    number of cores or xdist workers, so a seed trains into bitwise-identical weights (and
    these tiny models train 3-100x faster than with torch's default threads on a shared CPU)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
