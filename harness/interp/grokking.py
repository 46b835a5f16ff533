"""Nanda et al. 2023's progress measures for grokking, computed from the logits of a
modular-arithmetic model on the full grid of input pairs, and event times along training."""

from __future__ import annotations


import torch

from harness.interp.compare import OPS
from harness.interp.fourier import excluded_logits, loss_and_accuracy, periodic_directions, restricted_logits


def progress_measures(
    logits: torch.Tensor, labels: torch.Tensor, train_mask: torch.Tensor, p: int, freqs: list[int]
) -> dict[str, float]:
    """Losses and accuracies of ``logits`` ``[p**2, p]`` (all pairs; ``labels`` ``[p**2]`` the
    answers, also the combined input of the Fourier directions; ``train_mask`` ``[p**2]``).

    Nanda et al. 2023's progress measures (section 5.1): "restricted loss", the logits restricted
    to the key frequencies ``freqs``, on **all** pairs; "excluded train loss", the logits with
    those frequencies removed, on the **training** pairs. Also "train" / "test" loss and
    accuracy, and, as extras of our own, the restricted and excluded logits on the test split
    ("restricted test ...", "excluded test ...")."""
    directions = periodic_directions(labels, p, freqs)
    splits = {"train": train_mask, "test": ~train_mask, "all": torch.ones_like(train_mask)}
    wanted = (("", "train"), ("", "test"), ("restricted ", "all"), ("restricted ", "test"),
              ("excluded ", "train"), ("excluded ", "test"))
    variants = {"": logits, "restricted ": restricted_logits(logits, directions),
                "excluded ": excluded_logits(logits, directions)}
    out = {}
    for kind, split in wanted:
        mask = splits[split]
        loss, acc = loss_and_accuracy(variants[kind][mask], labels[mask])
        name = kind.strip() if split == "all" else f"{kind}{split}"
        out[f"{name} loss"], out[f"{name} accuracy"] = loss, acc
    return out


def first_step(steps: list[int], values: list[float], op: str, threshold: float) -> int | None:
    """The first of ``steps`` whose value ``op`` ``threshold`` holds (ops of
    ``harness.interp.compare.OPS``: "<", ">", ...), or None if it never does."""
    compare = OPS[op]
    return next((step for step, value in zip(steps, values) if compare(value, threshold)), None)


def step_or_end(step: int | None, steps: list[int]) -> int:
    """``step``, or one checkpoint interval after the last of ``steps`` for an event that did
    not happen during training (so that "before" / "after" comparisons stay measurable)."""
    if step is not None:
        return step
    return steps[-1] + (steps[-1] - steps[-2] if len(steps) > 1 else 1)


def principal_components(points: torch.Tensor, k: int) -> tuple[torch.Tensor, float]:
    """Coordinates of ``points`` ``[n, d]`` (rows centred) on their top ``k`` principal
    components ``[n, k]`` (float64), and the share of the variance those carry."""
    centred = points.double() - points.double().mean(dim=0)
    u, singular, _ = torch.linalg.svd(centred, full_matrices=False)
    return u[:, :k] * singular[:k], float(singular[:k].pow(2).sum() / singular.pow(2).sum())


def pca_explained(points: torch.Tensor, k: int) -> float:
    """Share of the variance of ``points`` ``[n, d]`` (rows centred) in its top ``k``
    principal components."""
    return principal_components(points, k)[1]


def label_separation(points: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of the variance of ``points`` ``[n, d]`` between the groups of ``labels`` ``[n]``
    (eta squared: sum_g n_g ||mean_g - mean||^2 / sum_i ||x_i - mean||^2): 1 when each group
    is a single point, 0 when every group has the overall mean."""
    x = points.double()
    centred = x - x.mean(dim=0)
    between = sum((labels == g).sum() * centred[labels == g].mean(dim=0).pow(2).sum() for g in labels.unique())
    return float(between / centred.pow(2).sum())


def drop_steps(steps: list[int], values: list[float], fractions: tuple[float, ...]) -> list[int | None]:
    """For each fraction f, the first step whose value is below f times the first value: when
    a loss curve crosses 80%, 50%, 20% of its start (None if never)."""
    return [first_step(steps, values, "<", f * values[0]) for f in fractions]
