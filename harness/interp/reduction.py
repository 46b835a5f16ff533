"""Dimensionality reduction (scikit-learn's PCA, FastICA, NMF, TruncatedSVD) of a matrix whose
rows are inputs, and how single-frequency its components are (for modular-arithmetic models:
problems 3.25 / 3.26), and clustering of units by their frequency spectra."""

from __future__ import annotations

import torch
from sklearn.decomposition import NMF, PCA, FastICA, TruncatedSVD
from sklearn.metrics import silhouette_score

from harness.interp.fourier import column_frequency_norms, single_frequency_fraction

METHODS = ("pca", "ica", "nmf", "svd")


def reduce(x: torch.Tensor, method: str, k: int, seed: int = 0) -> torch.Tensor:
    """The ``k`` components of ``x`` ``[n, d]`` (rows: samples) as functions of the samples,
    ``[n, k]`` float64: scikit-learn's ``fit_transform`` of ``method`` (one of ``METHODS``).
    NMF needs a non-negative matrix: ``x`` is shifted by its minimum when it has negative
    entries (the shift is a constant function of the rows)."""
    data = x.detach().double().cpu().numpy()
    if method == "nmf":
        data = data - min(0.0, data.min())
    reducer = {
        "pca": lambda: PCA(k, random_state=seed),
        "ica": lambda: FastICA(k, random_state=seed, max_iter=500, tol=1e-3, whiten="unit-variance"),
        "nmf": lambda: NMF(k, init="nndsvda", random_state=seed, max_iter=400),
        "svd": lambda: TruncatedSVD(k, random_state=seed),
    }[method]()
    return torch.from_numpy(reducer.fit_transform(data))


def principal_trajectory(x: torch.Tensor, k: int = 2) -> tuple[torch.Tensor, list[float]]:
    """(``[n, k]`` coordinates of the rows of ``x`` ``[n, d]`` on its top ``k`` principal
    components, the share of variance each explains): e.g. checkpoints' per-token losses (rows:
    checkpoints), as in Olsson et al. 2022's per-token loss analysis."""
    pca = PCA(k)
    coordinates = pca.fit_transform(x.detach().double().cpu().numpy())
    return torch.from_numpy(coordinates), [float(share) for share in pca.explained_variance_ratio_]


def component_frequency_shares(components: torch.Tensor) -> torch.Tensor:
    """``[k]``: for each component (a column of ``components``), the share of its variance that
    its best single frequency explains. Rows are either ``x in Z_p`` (``[p, k]``: the share of
    the Fourier norm in its top frequency) or the grid of pairs ``(a, b)`` (``[p**2, k]``, row
    ``a * p + b``: ``single_frequency_fraction``'s best share)."""
    n = components.shape[0]
    p = round(n**0.5)
    if p * p == n and p > 2:
        return single_frequency_fraction(components.reshape(p, p, -1))[0]
    norms = column_frequency_norms(components)  # [n_freq, k]
    return norms.max(dim=0).values / norms.sum(dim=0).clamp(min=1e-30)


def frequency_silhouette(spectra: torch.Tensor, seed: int = 0) -> tuple[float, float]:
    """Do units cluster by frequency? ``spectra`` ``[n_freq, units]`` (e.g.
    ``column_frequency_norms`` of their input weights), each unit normalised to shares. Returns
    (silhouette score of the units grouped by their top frequency, the same with those labels
    shuffled: the baseline of no grouping). Groups of one unit are left out (silhouette needs
    at least two members); ``nan`` when fewer than two groups are left."""
    shares = (spectra / spectra.sum(dim=0).clamp(min=1e-30)).T.double()  # [units, n_freq]
    labels = shares.argmax(dim=1)
    counts = torch.bincount(labels)
    keep = counts[labels] >= 2
    shares, labels = shares[keep], labels[keep]
    if labels.unique().numel() < 2:
        return float("nan"), float("nan")
    shuffled = labels[torch.randperm(labels.numel(), generator=torch.Generator().manual_seed(seed))]
    return (float(silhouette_score(shares.cpu().numpy(), labels.cpu().numpy())),
            float(silhouette_score(shares.cpu().numpy(), shuffled.cpu().numpy())))
