"""Plots for the toy models of superposition, written as PNG with matplotlib's Agg renderer.

Uses ``matplotlib.figure.Figure`` directly (no pyplot, no global backend switch), and imports
matplotlib lazily so the rest of ``harness.tms`` works without it.
"""
from __future__ import annotations

import math
import os
from typing import Sequence

import torch

from harness.tms.geometry import STICKY_GEOMETRIES, feature_norms


PathLike = str | os.PathLike


def _figure(width: float, height: float):
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), dpi=100)


def _save(fig, path: PathLike) -> str:
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight")
    return path


def plot_feature_columns(W2d: torch.Tensor, path: PathLike, importance: torch.Tensor | None = None,
                         titles: Sequence[str] | None = None, ncols: int = 5) -> str:
    """Columns of W as arrows from the origin in the 2-D hidden space, one panel per instance
    (paper's introduction / "Superposition as a Phase Change" figures for n=5, m=2).

    ``W2d``: ``[instances, 2, n]`` or ``[2, n]``. Arrows are coloured by ``importance`` (``[n]``;
    default: by feature index, viridis). ``titles``: one per panel (e.g. ``"S=0.90"``).
    Returns the path written."""
    from matplotlib import cm

    W = W2d.detach().cpu().float()
    if W.ndim == 2:
        W = W[None]
    if W.shape[-2] != 2:
        raise ValueError(f"plot_feature_columns needs m = 2, got {tuple(W.shape)}")
    k, _, n = W.shape
    if importance is None:
        colour_val = torch.linspace(1.0, 0.0, n) if n > 1 else torch.ones(1)
    else:
        imp = torch.as_tensor(importance, dtype=torch.float32).reshape(-1)
        colour_val = (imp - imp.min()) / (imp.max() - imp.min()).clamp_min(1e-12)
    colours = cm.viridis(colour_val.cpu().numpy())
    ncols = max(1, min(ncols, k))
    nrows = math.ceil(k / ncols)
    fig = _figure(2.4 * ncols, 2.6 * nrows)
    lim = max(1.2, float(feature_norms(W).max()) * 1.15)
    for idx in range(k):
        ax = fig.add_subplot(nrows, ncols, idx + 1)
        for i in range(n):
            x, y = float(W[idx, 0, i]), float(W[idx, 1, i])
            ax.plot([0, x], [0, y], color=colours[i], lw=1.5)
            ax.scatter([x], [y], color=colours[i], s=14, zorder=3)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.axhline(0, color="0.85", lw=0.5, zorder=0)
        ax.axvline(0, color="0.85", lw=0.5, zorder=0)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(str(titles[idx]), fontsize=9)
    return _save(fig, path)


def plot_dimensionality_vs_sparsity(D: torch.Tensor, densities: torch.Tensor, path: PathLike,
                                    dims_per_feature: torch.Tensor | None = None,
                                    sticky: Sequence[float] | None = None) -> str:
    """Scatter of feature dimensionality ``D_i`` against ``1/(1-S)`` (= 1/density, log x axis),
    with horizontal lines at the sticky values (paper, "Feature Dimensionality" figure).

    ``D``: ``[instances, n]`` (from ``harness.tms.geometry.feature_dimensionality``);
    ``densities``: ``[instances]`` feature probabilities; ``dims_per_feature``: optional
    ``[instances]`` ``D*`` drawn as a line. ``sticky``: values for the lines (default: the paper's
    named ones, 1, 3/4, 2/3, 1/2, 2/5, 3/8). Returns the path written."""
    D = D.detach().cpu().float()
    dens = torch.as_tensor(densities, dtype=torch.float32).reshape(-1)
    if D.ndim != 2 or D.shape[0] != dens.shape[0]:
        raise ValueError(f"D must be [instances, n] with instances = len(densities); got {tuple(D.shape)}")
    x = (1.0 / dens)[:, None].expand_as(D)
    fig = _figure(6.5, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    if sticky is None:
        sticky = [v for v, name in STICKY_GEOMETRIES.items() if v > 0 and "not named" not in name]
    last_y = math.inf
    for v in sorted(sticky, reverse=True):
        ax.axhline(v, color="0.8", lw=0.8, zorder=0)
        label = STICKY_GEOMETRIES.get(v, "")
        y = min(v, last_y - 0.035)                             # keep close labels apart
        ax.text(1.0, y, f" {v:.3g} {label}", transform=ax.get_yaxis_transform(), fontsize=7,
                va="center", ha="left", color="0.4")
        last_y = y
    ax.scatter(x.reshape(-1).cpu().numpy(), D.reshape(-1).cpu().numpy(), s=8, alpha=0.6, color="tab:blue",
               label="feature dimensionality $D_i$")
    if dims_per_feature is not None:
        dpf = torch.as_tensor(dims_per_feature, dtype=torch.float32).reshape(-1)
        order = torch.argsort(1.0 / dens)
        ax.plot((1.0 / dens)[order].cpu().numpy(), dpf[order].cpu().numpy(), color="black", lw=1.2,
                label="dimensions per feature $m/||W||_F^2$")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("1 / (1 - S)  (1 / feature density)")
    ax.set_ylabel("dimensions per feature")
    ax.legend(fontsize=7, loc="lower left")
    return _save(fig, path)
