"""Uncertainty of measurements over repeated runs: bootstrap confidence intervals and
permutation p-values (numpy's generator, seeded: the same inputs give the same interval)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch


def bootstrap_mean_difference(a: torch.Tensor, b: torch.Tensor, confidence: float = 0.95,
                              n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """The difference of means ``sum_g mean(a[g]) - mean(b[g])`` and its percentile bootstrap
    confidence interval: ``a [groups, n_a], b [groups, n_b]`` (``[n]`` is one group) ->
    ``(estimate, low, high)``. Each row of ``a`` and of ``b`` is resampled with replacement on
    its own (independent samples, e.g. instances trained from different initialisations)."""
    rng = np.random.default_rng(seed)
    groups_a, groups_b = (np.atleast_2d(torch.as_tensor(x).cpu().double().numpy()) for x in (a, b))

    def resampled_sums(x: np.ndarray) -> np.ndarray:                        # [resamples]
        idx = rng.integers(0, x.shape[1], size=(n_resamples, *x.shape))    # [resamples, groups, n]
        return np.take_along_axis(x[None], idx, -1).mean(-1).sum(-1)

    estimate = float(groups_a.mean(-1).sum() - groups_b.mean(-1).sum())
    diffs = resampled_sums(groups_a) - resampled_sums(groups_b)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return estimate, float(low), float(high)


def permutation_p_value(score: Callable[[np.ndarray], float], labels: np.ndarray,
                        resample: Callable[[np.random.Generator], np.ndarray],
                        n_resamples: int = 2000, seed: int = 0) -> float:
    """One-sided p-value of ``score(labels)`` against ``n_resamples`` null labellings drawn by
    ``resample(rng)``: ``(1 + #{null score >= observed}) / (1 + n_resamples)``."""
    rng = np.random.default_rng(seed)
    observed = score(labels)
    null = np.array([score(resample(rng)) for _ in range(n_resamples)])
    return float((1 + (null >= observed).sum()) / (1 + n_resamples))


def random_segments(rng: np.random.Generator, n: int, n_segments: int, min_size: int) -> np.ndarray:
    """Labels ``[n]`` (0, 0, ..., 1, 1, ..., n_segments - 1) of a random cut of ``n`` ordered
    points into ``n_segments`` contiguous runs of at least ``min_size`` each (the cut points drawn
    uniformly, then sorted): the null of "any cut of a smooth trajectory" for a segmentation."""
    free = n - n_segments * min_size
    cuts = np.sort(rng.integers(0, free + 1, size=n_segments - 1))
    sizes = np.diff(np.concatenate([[0], cuts, [free]])) + min_size
    return np.repeat(np.arange(n_segments), sizes)


def n_segmentations(n: int, n_segments: int, min_size: int) -> int:
    """How many distinct cuts ``random_segments`` can draw: a p-value against them cannot go
    below about one over this number."""
    return math.comb(n - n_segments * min_size + n_segments - 1, n_segments - 1)


def top_share(values: torch.Tensor, fraction: float) -> float:
    """The share of ``values.sum()`` carried by the largest ``fraction`` of the entries (at least
    one): about ``fraction`` when the total is spread evenly, near 1 when a few entries carry
    it. Entries below zero count in the total, so the share can exceed 1."""
    flat = values.flatten().double()
    k = max(1, round(fraction * flat.numel()))
    return float(flat.topk(k).values.sum() / flat.sum())
