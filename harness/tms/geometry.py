"""Geometry of superposition: measurements on toy-model weights (Elhage et al. 2022).

Weight layout everywhere: ``W [..., m, n]`` (``[instances, n_hidden, n_features]`` for
``harness.tms.models.ReLUOutputModel``, ``[instances, neurons, inputs]`` for
``ComputationModel.W_in``). Column ``W[..., :, i]`` is the paper's feature direction ``W_i`` in the
m-dimensional hidden space; ``Ŵ_i = W_i / ||W_i||``. Leading (instance) dimensions are optional and
are carried through: a ``[m, n]`` input gives ``[n]`` where ``[instances, m, n]`` gives
``[instances, n]``.

Sources (paper sections / figures, transformer-circuits.pub/2022/toy_model):

* feature norm ``||W_i||`` and "superposition" ``sum_{j != i} (Ŵ_i · W_j)^2`` — section
  "Demonstrating Superposition", the bar-chart figures ("Basic Results"), where bar length is
  ``||W_i||`` and colour is the interference measure.
* feature dimensionality ``D_i = ||W_i||^2 / sum_j (Ŵ_i · W_j)^2`` and dimensions per feature
  ``D* = m / ||W||_F^2`` — section "The Geometry of Superposition", "Feature Dimensionality"
  (the figure of ``D_i`` against ``1/(1-S)`` for n=400, m=30, with sticky values 3/4 tetrahedron,
  2/3 triangle, 1/2 digon, 2/5 pentagon, 3/8 square antiprism).
* the pentagon for n=5, m=2 at high sparsity — section "Superposition as a Phase Change" / the
  introduction figure (5 features in 2 dimensions).
* privileged basis / monosemantic neurons — section "Computation in Superposition" (neuron
  weight-stack plots) and "Privileged Basis"; the measures below are ours (simple summaries of
  those plots), not numbers from the paper.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch


_EPS = 1e-12

#: Named sticky values of feature dimensionality (paper, "Feature Dimensionality" figure), plus 1/3
#: (not a configuration named in the paper; kept for finer binning) and 0 (feature not represented).
STICKY_GEOMETRIES = {
    1.0: "dedicated dimension",
    3 / 4: "tetrahedron",
    2 / 3: "triangle",
    1 / 2: "digon (antipodal pair)",
    2 / 5: "pentagon",
    3 / 8: "square antiprism",
    1 / 3: "1/3 (not named in the paper)",
    0.0: "not represented",
}
STICKY_FRACTIONS = tuple(sorted(STICKY_GEOMETRIES, reverse=True))


def feature_norms(W: torch.Tensor) -> torch.Tensor:
    """``||W_i||``: ``[..., m, n] -> [..., n]``. Represented features have norm ~1, ignored ones ~0."""
    return W.norm(dim=-2)


def feature_overlaps(W: torch.Tensor) -> torch.Tensor:
    """``O[..., i, j] = Ŵ_i · W_j`` (row i: feature i's unit direction dotted with every column):
    ``[..., m, n] -> [..., n, n]``. Zero columns give zero rows."""
    gram = W.transpose(-1, -2) @ W                                   # [..., n, n]
    return gram / feature_norms(W).clamp_min(_EPS)[..., :, None]


def group_cosines(W: torch.Tensor, group_size: int, threshold: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """|cosine| of the pairs i < j of represented features (``||W_i|| > threshold``), split into
    pairs within one group of ``group_size`` adjacent features and pairs across groups:
    ``[..., m, n] -> ([k_within], [k_across])`` flattened over the leading (instance) axes."""
    norms = feature_norms(W)
    cosine = (feature_overlaps(W) / norms.clamp_min(_EPS)[..., None, :]).abs()
    group = torch.arange(W.shape[-1], device=W.device) // group_size
    represented = (norms[..., :, None] > threshold) & (norms[..., None, :] > threshold)
    pairs = represented & torch.ones_like(cosine, dtype=torch.bool).triu(diagonal=1)
    same = group[:, None] == group[None]
    return cosine[pairs & same], cosine[pairs & ~same]


def superposition(W: torch.Tensor) -> torch.Tensor:
    """Interference ``sum_{j != i} (Ŵ_i · W_j)^2``: ``[..., m, n] -> [..., n]``.
    0 when feature i is orthogonal to every other feature (paper's bar-chart colour)."""
    sq = feature_overlaps(W) ** 2
    return sq.sum(-1) - torch.diagonal(sq, dim1=-2, dim2=-1)


def feature_dimensionality(W: torch.Tensor) -> torch.Tensor:
    """``D_i = ||W_i||^2 / sum_j (Ŵ_i · W_j)^2`` (j includes i): ``[..., m, n] -> [..., n]``.
    1 for a dedicated dimension, 1/2 for an antipodal pair, 2/5 for a regular pentagon, ~0 for a
    feature that is not represented."""
    num = feature_norms(W) ** 2
    den = (feature_overlaps(W) ** 2).sum(-1)
    return num / den.clamp_min(_EPS)


def dimensions_per_feature(W: torch.Tensor) -> torch.Tensor:
    """``D* = m / ||W||_F^2``: ``[..., m, n] -> [...]`` (paper's "dimensions per feature";
    ``||W||_F^2`` approximates the number of features learned)."""
    m = W.shape[-2]
    return m / (W ** 2).sum(dim=(-2, -1)).clamp_min(_EPS)


def angles_between_features(W: torch.Tensor) -> torch.Tensor:
    """Pairwise angles in degrees between feature directions: ``[..., m, n] -> [..., n, n]``.
    Only meaningful between represented features (see ``n_represented``); a zero column
    gives 90 degrees to everything."""
    unit = W / feature_norms(W).clamp_min(_EPS)[..., None, :]
    cos = (unit.transpose(-1, -2) @ unit).clamp(-1.0, 1.0)
    return torch.rad2deg(torch.arccos(cos))


def polygon_angles(W2d: torch.Tensor, threshold: float = 0.5) -> torch.Tensor | list[torch.Tensor]:
    """Sorted angular gaps (degrees, ascending, summing to 360) between consecutive represented
    feature directions around the circle, for a model with m = 2 hidden dimensions.

    ``W2d [2, n] -> [k]`` where k = number of features with ``||W_i|| > threshold``
    (a regular pentagon, n=5, gives five gaps of 72; k=1 gives [360.], k=0 an empty tensor);
    ``W2d [instances, 2, n] -> list`` of such tensors, one per instance."""
    if W2d.shape[-2] != 2:
        raise ValueError(f"polygon_angles needs m = 2 hidden dimensions, got W of shape {tuple(W2d.shape)}")
    if W2d.ndim == 3:
        return [polygon_angles(w, threshold) for w in W2d]
    if W2d.ndim != 2:
        raise ValueError(f"expected [2, n] or [instances, 2, n], got {tuple(W2d.shape)}")
    keep = feature_norms(W2d) > threshold
    W = W2d[:, keep].to(torch.float64)
    if W.shape[1] == 0:
        return torch.zeros(0)
    theta = torch.sort(torch.rad2deg(torch.atan2(W[1], W[0])) % 360.0).values
    gaps = torch.diff(torch.cat([theta, theta[:1] + 360.0]))
    return torch.sort(gaps).values.to(torch.float32)


def direction_clusters(h: torch.Tensor, cosine: float = 0.95, min_share: float = 0.01, most: int = 2000) -> int:
    """How many directions each hold at least ``min_share`` of the nonzero hidden vectors ``h``
    [batch, m] (the first ``most`` of them): greedily, the unit vector with the most others within
    ``cosine`` takes them as its cluster, until the largest cluster left is under ``min_share``
    (our statistic, from activations alone: sparse features in superposition give more than m
    such directions)."""
    units = h[h.norm(dim=-1) > 1e-6][:most]
    units = units / units.norm(dim=-1, keepdim=True)
    close = ((units @ units.T) > cosine).float()  # [k, k]
    left, found, need = torch.ones(len(units)), 0, min_share * len(units)
    while left.any():
        sizes = (close @ left) * left  # unclustered neighbours of each unclustered vector
        if sizes.max() < max(need, 1):
            break
        left *= 1 - close[sizes.argmax()]
        found += 1
    return found


def n_represented(W: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Number of features with ``||W_i|| > threshold``: ``[..., m, n] -> [...]`` (long).
    Paper baseline: with no sparsity the ReLU output model represents the m most important
    features; with high sparsity it represents more than m."""
    return (feature_norms(W) > threshold).sum(-1)


def nearest_sticky_fraction(D: float | torch.Tensor, values: Sequence[float] = STICKY_FRACTIONS
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest sticky value and the absolute distance to it, elementwise:
    ``D [...] -> (nearest [...], distance [...])``. ``values`` defaults to
    ``STICKY_FRACTIONS`` (1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3, 0); names in
    ``STICKY_GEOMETRIES``."""
    D = torch.as_tensor(D, dtype=torch.float32)
    vals = torch.tensor(list(values), dtype=torch.float32, device=D.device)
    dist = (D[..., None] - vals).abs()
    idx = dist.argmin(-1)
    return vals[idx], dist.gather(-1, idx[..., None]).squeeze(-1)


def neuron_monosemanticity(W_in: torch.Tensor) -> torch.Tensor:
    """Per-neuron monosemanticity ``max_f |W_in[n, f]| / ||W_in[n, :]||_2``:
    ``[..., neurons, features] -> [..., neurons]``.

    1 when a neuron reads a single feature; ``1/sqrt(k)`` when it reads k features equally (lowest
    possible: ``1/sqrt(n_features)``). Dead neurons (zero input weights) give 0. A summary of the
    paper's neuron weight plots in "Computation in Superposition" (our measure)."""
    return W_in.abs().amax(-1) / W_in.norm(dim=-1).clamp_min(_EPS)


def privileged_basis_score(W: torch.Tensor) -> torch.Tensor:
    """Axis alignment of each feature's hidden direction: the fraction of ``||W_i||^2`` that lies on
    its top hidden unit, ``max_n W[n, i]^2 / ||W_i||^2``: ``[..., m, n] -> [..., n]`` (our measure).

    1 = the feature is read by one neuron (basis-aligned); ``1/m`` = spread evenly. For directions
    uniformly random on the circle (m = 2, no privileged basis) the expectation is
    ``1/2 + 1/pi ~ 0.818``; compare against that, or against the same score after a random rotation
    of the hidden space. Zero columns give 0."""
    sq = W ** 2
    return sq.amax(-2) / sq.sum(-2).clamp_min(_EPS)


def activation_kurtosis(acts: torch.Tensor) -> torch.Tensor:
    """Mean (over samples) kurtosis of each activation vector across its basis dimensions:
    ``acts [batch, ..., d] -> [...]``.

    For every sample, ``E[(a - mean)^4] / Var(a)^2`` is taken over the d hidden units (3 for
    Gaussian-like, rotation-invariant representations; large when a few units carry most of the
    activation, i.e. a privileged basis). Samples with zero variance are skipped (all skipped ->
    NaN). Our measure, after the kurtosis used to detect privileged bases in activations."""
    a = acts.to(torch.float64)
    c = a - a.mean(-1, keepdim=True)
    var = (c ** 2).mean(-1)
    m4 = (c ** 4).mean(-1)
    k = m4 / var.clamp_min(_EPS) ** 2
    valid = var > 1e-12
    k = torch.where(valid, k, torch.full_like(k, math.nan))
    return torch.nanmean(k, dim=0).to(torch.float32)
