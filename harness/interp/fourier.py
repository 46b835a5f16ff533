"""Fourier analysis on Z_p for modular-arithmetic models (Nanda et al. 2023, "Progress
measures for grokking via mechanistic interpretability", section 4).

Frequencies are ``k = 1 .. (p - 1) // 2`` (``p`` odd); frequency ``k`` is the pair of
functions ``cos(2 pi k x / p)``, ``sin(2 pi k x / p)`` of ``x in Z_p``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def n_frequencies(p: int) -> int:
    return (p - 1) // 2


def fourier_basis(p: int) -> torch.Tensor:
    """Orthonormal Fourier basis of functions on Z_p, ``[p, p]`` (row = basis function):
    row 0 the constant, rows ``2k - 1`` / ``2k`` the cosine / sine of frequency ``k``."""
    if p % 2 == 0:
        raise ValueError(f"p must be odd, got {p}")
    x = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, n_frequencies(p) + 1):
        rows += [torch.cos(2 * math.pi * k * x / p), torch.sin(2 * math.pi * k * x / p)]
    basis = torch.stack(rows)
    return basis / basis.norm(dim=1, keepdim=True)


def column_frequency_norms(weights: torch.Tensor) -> torch.Tensor:
    """Squared norm per frequency of each column of ``weights`` ``[p, d]`` (a function of
    ``x in Z_p`` per column), summed over cos/sin: ``[(p - 1) // 2, d]`` (frequency ``k`` at
    index ``k - 1``; the constant component is left out)."""
    coeffs = fourier_basis(weights.shape[0]).to(weights.device) @ weights.detach().double()  # [p, d]
    energy = coeffs.pow(2)
    return energy[1::2] + energy[2::2]


def frequency_norms(weights: torch.Tensor) -> torch.Tensor:
    """``column_frequency_norms`` summed over columns (e.g. over an embedding's dimensions):
    ``[(p - 1) // 2]``."""
    return column_frequency_norms(weights).sum(dim=1)


def top_frequency_fraction(norms: torch.Tensor, k: int) -> float:
    """Share of the total of ``norms`` ``[n_freq]`` carried by its ``k`` largest entries."""
    return float(norms.topk(k).values.sum() / norms.sum())


def key_frequencies(norms: torch.Tensor, k: int) -> list[int]:
    """The ``k`` frequencies (1-based, sorted) with the largest ``norms`` ``[n_freq]``."""
    return sorted(int(i) + 1 for i in norms.topk(k).indices)


def frequencies_above(norms: torch.Tensor, share: float) -> list[int]:
    """The frequencies (1-based, sorted) each carrying more than ``share`` of the total of
    ``norms`` ``[n_freq]``."""
    return sorted(int(i) + 1 for i in (norms / norms.sum() > share).nonzero().flatten())


def separated_key_frequencies(norms: torch.Tensor, margin: float) -> list[int]:
    """The frequencies (1-based, sorted) ranked above the last place in the ranking of
    ``norms`` ``[n_freq]`` where the share of the total drops by at least ``margin`` from one
    frequency to the next; ``[]`` when no share clears the next by ``margin``. Unlike a fixed
    top-k, this never picks among near-equal norms, which training noise reorders."""
    shares = (norms / norms.sum()).sort(descending=True)
    gaps = (shares.values[:-1] - shares.values[1:]) >= margin
    if not gaps.any():
        return []
    cut = int(gaps.nonzero().max()) + 1
    return sorted(int(i) + 1 for i in shares.indices[:cut])


def periodic_directions(s: torch.Tensor, p: int, freqs: list[int]) -> torch.Tensor:
    """Orthonormal columns spanning ``{cos(2 pi k s / p), sin(2 pi k s / p) : k in freqs}``
    as functions of the inputs, ``s`` ``[n]`` the combined input (``(a + b) mod p`` for
    addition, ``(a - b) mod p`` for subtraction) of every input pair: ``[n, 2 len(freqs)]``."""
    angles = 2 * math.pi * s.double()[:, None] * torch.tensor(freqs, dtype=torch.float64) / p
    directions = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    q, _ = torch.linalg.qr(directions)
    return q


def restricted_logits(logits: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """Logits ``[n, p]`` (one row per input pair, all ``p**2`` pairs) keeping only their
    per-output mean and their components along ``directions`` ``[n, m]`` (orthonormal).

    Nanda et al. 2023's restricted logits: with the directions of the key frequencies
    (``periodic_directions``), what is left is ``sum_k a_k(c) cos(w_k (a + b)) +
    b_k(c) sin(w_k (a + b))``, which contains the ``cos(w_k (a + b - c))`` terms of the
    algorithm."""
    centred = logits.double() - logits.double().mean(dim=0, keepdim=True)
    kept = directions @ (directions.T @ centred)
    return (kept + logits.double().mean(dim=0, keepdim=True)).to(logits.dtype)


def excluded_logits(logits: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """Logits ``[n, p]`` with their components along ``directions`` ``[n, m]`` (orthonormal)
    removed: Nanda et al. 2023's excluded logits when the directions are the key frequencies'."""
    return (logits.double() - directions @ (directions.T @ logits.double())).to(logits.dtype)


def loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy (in float64) and accuracy of ``logits`` ``[n, p]`` against ``labels``
    ``[n]``."""
    loss = F.cross_entropy(logits.double(), labels)
    accuracy = (logits.argmax(dim=-1) == labels).float().mean()
    return float(loss), float(accuracy)


def grid_frequency_fraction(acts: torch.Tensor, freqs: list[int]) -> torch.Tensor:
    """Fraction of each neuron's variance over the input grid explained by the key frequencies.

    ``acts``: ``[p, p, n_neurons]`` activation at input pair ``(a, b)``. The explaining
    functions are the 2D Fourier components (``f(a) g(b)``, ``f``, ``g`` in the basis of
    ``fourier_basis``) whose non-constant factors all have a frequency in ``freqs``: the
    linear terms ``cos/sin(w_k a)``, ``cos/sin(w_k b)`` and the products of the same or of
    different key frequencies. Returns ``[n_neurons]`` in [0, 1].
    """
    p = acts.shape[0]
    basis = fourier_basis(p).to(acts.device)
    coeffs = torch.einsum("ia,jb,abn->ijn", basis, basis, acts.double())  # [p, p, n]
    energy = coeffs.pow(2)
    energy[0, 0] = 0  # the mean is not variance
    in_key = torch.zeros(p, dtype=torch.bool, device=acts.device)
    in_key[0] = True
    for k in freqs:
        in_key[2 * k - 1 : 2 * k + 1] = True
    explained = energy[in_key][:, in_key].sum(dim=(0, 1))
    return explained / energy.sum(dim=(0, 1)).clamp(min=1e-30)


def single_frequency_fraction(acts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Nanda et al. 2023's fit of each neuron by the terms of its single best frequency:
    ``acts`` ``[p, p, n_neurons]``; returns (``[n_neurons]`` the largest share of variance that
    one frequency's terms explain (``grid_frequency_fraction`` with that frequency alone),
    ``[n_neurons]`` that frequency, 1-based)."""
    shares = torch.stack([grid_frequency_fraction(acts, [k]) for k in range(1, n_frequencies(acts.shape[0]) + 1)])
    best = shares.max(dim=0)
    return best.values, best.indices + 1
