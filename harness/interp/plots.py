"""Line plots of quantities along training (one curve per named series), PNG via matplotlib's
``Figure`` (no pyplot, no global backend switch)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


def line_plot(path: Path, steps: Sequence[int], curves: dict[str, Sequence[float]], *, title: str,
              ylabel: str, log_y: bool = False) -> Path:
    """Save one line per entry of ``curves`` (values at ``steps``) to ``path`` (PNG)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5), dpi=80)
    ax = fig.subplots()
    for label, values in curves.items():
        ax.plot(steps, values, label=label)
    ax.set(title=title, xlabel="training step", ylabel=ylabel, yscale="log" if log_y else "linear")
    ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight")
    return path
