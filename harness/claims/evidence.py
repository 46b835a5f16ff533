"""Measurements a claim records, and the verdict they add up to.

``Evidence.expect(name, value, op, threshold)`` records one measurement; failures are collected
(not raised at once) so that every expectation of a claim is recorded, and
``Evidence.raise_if_failed()`` raises one readable error at the end of the claim.

``Evidence.require(name, value, op, threshold)`` records a precondition: what must hold for the
claim's measurement to test the hypothesis at all (the model grokked, the loss converged). One
that does not hold stops the claim at once with the verdict *inconclusive*: could not be tested,
which is neither evidence for nor against the hypothesis.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

import numpy as np
import pytest
import torch

from harness.interp.compare import OPS
from harness.interp.neurons import top_token_share
from harness.plain import plain


class ExpectationFailed(AssertionError):
    """A finite measurement did not meet its threshold: the hypothesis fails."""


class MeasurementError(Exception):
    """A measurement is NaN or infinite: the claim errors, it neither holds nor fails."""


class Inconclusive(pytest.skip.Exception):
    """A precondition of the claim did not hold: the hypothesis could not be tested. A pytest
    skip, so that neither a claim expected to hold nor one marked refuted fails the run."""


def check_op(op: str) -> None:
    if op not in OPS:
        raise ValueError(f"unknown comparison {op!r}; use one of {' '.join(OPS)}")


def as_float(value: Any) -> float:
    """A Python float from a number, a 0-d / 1-element tensor or numpy scalar / array."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"expected a scalar measurement, got a tensor of shape {tuple(value.shape)}")
        return float(value.detach().cpu().item())
    if getattr(value, "size", 1) != 1:  # numpy arrays
        raise ValueError(f"expected a scalar measurement, got an array of shape {value.shape}")
    return float(getattr(value, "item", lambda: value)())


def is_count(value: Any) -> bool:
    """Whether a measured value has an integer type (Python, numpy or torch; bools are not)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, torch.dtype):
        return not (dtype.is_floating_point or dtype.is_complex or dtype == torch.bool)
    return dtype is not None and np.issubdtype(dtype, np.integer)


def format_value(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


QUANTILES = {"min": 0.0, "q10": 0.1, "q25": 0.25, "median": 0.5, "q75": 0.75, "q90": 0.9, "max": 1.0}


def spread_of(values: Any) -> dict[str, float]:
    """Quantiles (``QUANTILES``, linear interpolation) of the finite values among ``values``
    (a tensor of any shape, or a list), ``n`` (all values) and ``finite`` (how many are)."""
    flat = torch.as_tensor(values if isinstance(values, torch.Tensor) else list(values)).detach().cpu().double().flatten()
    finite = flat[torch.isfinite(flat)]
    if not len(finite):
        raise ValueError(f"per_example has no finite value among {len(flat)}")
    qs = torch.quantile(finite, torch.tensor(list(QUANTILES.values()), dtype=torch.float64))
    return {**{k: float(q) for k, q in zip(QUANTILES, qs)}, "n": len(flat), "finite": len(finite)}


@dataclasses.dataclass
class Measurement:
    name: str
    value: float
    op: str
    threshold: float
    passed: bool | None  # None: the value (or the threshold) is not finite
    precondition: bool = False  # recorded by ``Evidence.require``
    # quantiles of the per-example values behind a mean (``spread_of``); None: not recorded
    spread: dict[str, float] | None = None
    count: bool = False  # the value came as an integer (a count of features, heads, ...), not a rate

    def to_json(self) -> dict[str, Any]:
        """The measurement's fields; ``spread`` only where it was recorded."""
        fields = dataclasses.asdict(self)
        return fields if self.spread is not None else {k: v for k, v in fields.items() if k != "spread"}

    def describe(self) -> str:
        wanted = "required" if self.precondition else "expected"
        return f"{self.name} = {format_value(self.value)}, {wanted} {self.op} {format_value(self.threshold)}"


@dataclasses.dataclass
class Evidence:
    """Measurements of one claim on one (model, seed)."""

    claim_id: str
    problem: str
    model: str
    seed: int
    measurements: list[Measurement] = dataclasses.field(default_factory=list)
    notes: dict[str, Any] = dataclasses.field(default_factory=dict)
    attachments: dict[str, str] = dataclasses.field(default_factory=dict)  # title -> file path
    neuron_pages: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # ``show_neuron``'s

    def expect(self, name: str, value: Any, op: str, threshold: float, per_example: Any = None) -> bool:
        """Record ``value op threshold``; returns whether it held (NaN/inf -> False, and an
        error verdict at the end of the claim). ``per_example``: the values a mean ``value`` is
        taken over (a tensor or list): their quantiles are recorded beside it, since a mean can
        hide cancelling effects."""
        measured = self.record(name, value, op, threshold, precondition=False)
        if per_example is not None:
            measured.spread = spread_of(per_example)
        return bool(measured.passed)

    def require(self, name: str, value: Any, op: str, threshold: float) -> None:
        """Record the precondition ``value op threshold``. If it does not hold, raise
        ``Inconclusive``: the claim stops and its verdict is inconclusive. NaN/inf is an error."""
        measured = self.record(name, value, op, threshold, precondition=True)
        if measured.passed is None:
            raise MeasurementError(f"{measured.describe()}: not finite {self.where()}")
        if not measured.passed:
            raise Inconclusive(f"inconclusive: {measured.describe()} {self.where()}")

    def record(self, name: str, value: Any, op: str, threshold: float, precondition: bool) -> Measurement:
        check_op(op)
        value_f, threshold_f = as_float(value), as_float(threshold)
        finite = math.isfinite(value_f) and math.isfinite(threshold_f)
        passed = OPS[op](value_f, threshold_f) if finite else None
        self.measurements.append(Measurement(name, value_f, op, threshold_f, passed, precondition, count=is_count(value)))
        return self.measurements[-1]

    def note(self, name: str, value: Any) -> None:
        """Record a detail shown in the report but not compared to a threshold."""
        self.notes[name] = value

    def matches_snapshot(self, name: str, snapshot: Any, detail: Any) -> bool:
        """Compare ``detail`` (already rounded, JSON-able) with the committed syrupy snapshot;
        a mismatch is a failed expectation, so a drifting circuit is visible in the report."""
        same = snapshot == detail
        self.note(name, detail)
        self.measurements.append(Measurement(f"{name} matches snapshot", float(same), "==", 1.0, bool(same)))
        return bool(same)

    def attach(self, title: str, path: Any) -> None:
        """Link a file (a plot) from the report; write it under ``report_dir()``."""
        self.attachments[title] = str(path)

    def show_neuron(self, layer: int, neuron: int, values: torch.Tensor, contexts: torch.Tensor,
                    decode: Callable[[int], str]) -> None:
        """Show a neuron's page in the report (a small Neuroscope): its ``k`` strongest activations
        ``values`` [k], largest first, and the tokens leading up to each, ``contexts`` [k, width]
        token ids, the activating token last and -1 before the text's start (the neuron's row of
        ``harness.interp.neurons.max_activating_contexts``), decoded to strings by ``decode``."""
        self.neuron_pages.append({
            "layer": int(layer), "neuron": int(neuron), "max activation": round(float(values[0]), 4),
            "top-token share": round(float(top_token_share(contexts[None])[0]), 4),
            "contexts": [{"tokens": [decode(int(t)) for t in context if t >= 0], "activation": round(float(value), 4)}
                         for value, context in zip(values, contexts)],
        })

    def where(self) -> str:
        return f"({self.model}, seed {self.seed})"

    def raise_if_failed(self) -> None:
        """Raise ``MeasurementError`` if any value is not finite or nothing was measured, else
        ``ExpectationFailed`` listing every failed expectation. Does nothing when all held.

        A claim that measured nothing is broken, not refuted: an error, so that a claim marked
        refuted cannot pass as "refuted as expected" by returning early."""
        broken = [m for m in self.measurements if m.passed is None]
        if broken:
            raise MeasurementError("; ".join(f"{m.describe()}: not finite" for m in broken) + f" {self.where()}")
        if not self.measurements:
            raise MeasurementError(f"claim recorded no measurement {self.where()}")
        failed = [m for m in self.measurements if m.passed is False]
        if failed:
            raise ExpectationFailed("; ".join(m.describe() for m in failed) + f" {self.where()}")

    def to_json(self) -> dict[str, Any]:
        return {
            "measurements": [m.to_json() for m in self.measurements],
            "notes": {k: plain(v) for k, v in self.notes.items()},
            "attachments": dict(self.attachments),
            "neuron_pages": list(self.neuron_pages),
        }
