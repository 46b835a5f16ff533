"""Is a change over training a phase transition? Measures of one curve: a metric at training
steps ``steps`` ``[n]`` with values ``values`` ``[n]`` (e.g. an induction score at every
checkpoint).

- ``steepest_change_step``: where the curve moves fastest per step (``fastest_change_step``:
  the same for a vector per step);
- ``onset_ratio``: the step at which the curve has made 10% of its net change over the step
  at which it has made 90%: near 1 for a plateau followed by a sudden change (an S-curve),
  about 0.05 for an exponential approach that starts at once, 0.11 for a straight line;
- ``points_within_change``: how many measurements resolve the change (a precondition of the two
  measures above);
- ``change_window``: the narrowest window of training that holds a share (80%) of the total
  change, as a fraction of training: small for a sudden change, near the share for a steady one;
- ``change_point_p_value``: a test of one abrupt step against a smooth curve (a cubic
  spline in step plus a log-step term), its p-value calibrated by a residual bootstrap under the smooth fit.
"""

from __future__ import annotations

import dataclasses

import numpy as np


def as_curve(steps, values) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) as float arrays sorted by step; a curve needs >= 4 points."""
    steps, values = np.asarray(steps, dtype=float), np.asarray(values, dtype=float)
    if steps.shape != values.shape or steps.ndim != 1 or len(steps) < 4:
        raise ValueError(f"a curve needs >= 4 (step, value) points of one shape, got {steps.shape} and {values.shape}")
    order = np.argsort(steps)
    return steps[order], values[order]


def steepest_change_step(steps, values) -> float:
    """The midpoint of the pair of consecutive steps with the largest ``|Δvalue / Δstep|``."""
    s, v = as_curve(steps, values)
    return fastest_change_step(s, v[:, None])


def fastest_change_step(steps, vectors) -> float:
    """The midpoint of the pair of consecutive steps between which ``vectors`` ``[n, d]`` (one
    row a step, e.g. every per-token loss at a checkpoint) move farthest per step (L2 norm)."""
    s, v = np.asarray(steps, dtype=float), np.asarray(vectors, dtype=float)
    order = np.argsort(s)
    s, v = s[order], v[order]
    rate = np.linalg.norm(np.diff(v, axis=0), axis=1) / np.diff(s)
    i = int(np.argmax(rate))
    return float((s[i] + s[i + 1]) / 2)


def progress_steps(steps, values, levels) -> np.ndarray:
    """The first step (interpolated) at which the curve has made each share in ``levels`` of
    its net change (first to last value); progress beyond the end values is clipped."""
    s, v = as_curve(steps, values)
    total = v[-1] - v[0]
    if total == 0:
        raise ValueError("the curve has no net change")
    progress = np.maximum.accumulate(np.clip((v - v[0]) / total, 0, 1))
    return np.interp(np.asarray(levels, dtype=float), progress, s)


def onset_ratio(steps, values, start: float = 0.1, end: float = 0.9) -> float:
    """(step at ``start`` of the net change) / (step at ``end`` of it), from the first step."""
    s, _ = as_curve(steps, values)
    at_start, at_end = progress_steps(steps, values, [start, end]) - s[0]
    if at_end == 0:
        raise ValueError("the change is complete at the first step: no onset to time")
    return float(at_start / at_end)


def points_within_change(steps, values, start: float = 0.1, end: float = 0.9) -> int:
    """How many measured steps lie strictly between the ``start`` and ``end`` points of the net
    change: with fewer than a handful, the checkpoints are too sparse to time the change (it
    happened between two of them) and ``onset_ratio`` only reflects their spacing."""
    s, _ = as_curve(steps, values)
    at_start, at_end = progress_steps(steps, values, [start, end])
    return int(np.sum((s > at_start) & (s < at_end)))


def change_window(steps, values, share: float = 0.8) -> float:
    """The narrowest span of steps over which the curve covers ``share`` of its net change
    (first to last value), as a fraction of the whole span; 0 for a flat curve.

    The curve is interpolated linearly between steps; progress is clipped to the net change, so
    noise beyond the end values does not count."""
    s, v = as_curve(steps, values)
    if v[-1] == v[0]:
        return 0.0
    grid = np.linspace(0, 1, 1001)
    step_at = progress_steps(s, v, grid)
    levels = int(round(share * 1000))
    width = np.min(step_at[levels:] - step_at[: len(grid) - levels])
    return float(width / (s[-1] - s[0]))


@dataclasses.dataclass
class ChangePoint:
    step: float  # where the fitted step sits (between two measured steps)
    improvement: float  # the F-like statistic: relative drop of the residual sum of squares
    p_value: float  # bootstrap p-value of ``improvement`` under the smooth fit


SMOOTH_KNOTS = 3


def _smooth_basis(s: np.ndarray) -> np.ndarray:
    """A cubic regression spline in step (``SMOOTH_KNOTS`` interior knots at quantiles) plus a
    log-step term: follows power laws, saturating exponentials and slow sigmoids, not a step
    between two checkpoints."""
    x = (s - s[0]) / (s[-1] - s[0])
    knots = np.quantile(x, np.linspace(0, 1, SMOOTH_KNOTS + 2)[1:-1])
    columns = [x**d for d in range(4)] + [np.clip(x - k, 0, None) ** 3 for k in knots] + [np.log(s / s[0])]
    return np.stack(columns, axis=1)


def _best_steps(basis: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each curve in ``ys`` ``[curves, n]``: (relative RSS drop of the best smooth + one-step
    fit over the smooth fit, the index where the step starts). A step starts at point k for
    2 <= k <= n - 2 (>= 2 points each side). Least squares by projection: with ``P`` the
    projection off the smooth basis, adding step column ``z`` lowers the RSS by
    ``(Pz . Py)^2 / |Pz|^2``."""
    n = ys.shape[1]
    off_basis = np.eye(n) - basis @ np.linalg.pinv(basis)
    steps = (np.arange(n)[:, None] >= np.arange(2, n - 1)[None, :]).astype(float)  # [n, candidates]
    z = off_basis @ steps
    r = ys @ off_basis  # residuals of the smooth fit (P is symmetric)
    rss0 = np.sum(r**2, axis=1, keepdims=True)
    drop = (r @ z) ** 2 / np.maximum(np.sum(z**2, axis=0), 1e-30)
    gain = drop / np.maximum(rss0 - drop, 1e-30)
    best = np.argmax(gain, axis=1)
    return gain[np.arange(len(ys)), best], best + 2


def change_point_p_value(steps, values, n_bootstrap: int = 999, seed: int = 0) -> ChangePoint:
    """Test one abrupt step against a smooth curve.

    Smooth model: ``_smooth_basis``; alternative: the same plus a step
    function at the best breakpoint. The statistic is the relative drop in the residual sum of
    squares; its null distribution comes from the smooth fit plus its own residuals resampled
    (``n_bootstrap`` times, seeded), refitted the same way, breakpoint search included."""
    s, v = as_curve(steps, values)
    basis = _smooth_basis(s)
    (observed,), (k,) = _best_steps(basis, v[None])
    fitted = basis @ np.linalg.lstsq(basis, v, rcond=None)[0]
    rng = np.random.default_rng(seed)
    null, _ = _best_steps(basis, fitted + rng.choice(v - fitted, (n_bootstrap, len(v))))
    p = (1 + int(np.sum(null >= observed))) / (n_bootstrap + 1)
    return ChangePoint(step=float((s[k - 1] + s[k]) / 2), improvement=float(observed), p_value=p)


def change_windows(steps, curves) -> np.ndarray:
    """``[curves]``: ``change_window`` of each row of ``curves`` ``[curves, n]`` (e.g. each
    item's own accuracy over checkpoints)."""
    return np.array([change_window(steps, curve) for curve in np.asarray(curves, dtype=float)])


def leader_at_crossing(scores, threshold: float) -> int | None:
    """The index of the largest of ``scores`` ``[n, k]`` (k competitors, e.g. heads, at n
    successive checkpoints) at the first checkpoint where any exceeds ``threshold``: the
    competitor that got there first. None if none ever does."""
    scores = np.asarray(scores, dtype=float)
    crossed = np.flatnonzero(scores.max(axis=1) > threshold)
    return int(np.argmax(scores[crossed[0]])) if len(crossed) else None
