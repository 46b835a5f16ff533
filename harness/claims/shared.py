"""Shared measurements as pytest fixtures: an area's ``conftest.py`` turns a function of the
loaded model into a fixture whose value every claim on that (model, seed) shares."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable

import pytest

from harness.interp.heads import named_scores
from harness.interp.phase import change_point_p_value, onset_ratio, points_within_change
from harness.plain import plain


def per_target(build: Callable[..., Any]) -> Any:
    """``@per_target def ioi(model): return IOIMeasurements(model)`` in a conftest: the
    fixture ``ioi`` is built once per (model, seed) in a worker (claims on one target run on
    one worker), so what the object caches is measured once for all the claims. ``build``'s
    parameters are fixtures (``model``, ``checkpoints``, ``target``, ...)."""
    built: dict[str, Any] = {}
    names = list(inspect.signature(build).parameters)

    def fixture(request: pytest.FixtureRequest, target: Any) -> Any:
        if target.id not in built:
            built[target.id] = build(**{name: request.getfixturevalue(name) for name in names})
        return built[target.id]

    fixture.__doc__ = build.__doc__
    return pytest.fixture(name=build.__name__)(fixture)


def mark_slow_beyond(items: list[pytest.Item], folder: Path, fast_seeds: set[int], models: set[str] | None = None) -> None:
    """For a conftest's ``pytest_collection_modifyitems``: mark ``slow`` the claims under
    ``folder`` on seeds outside ``fast_seeds`` (of ``models`` only,
    if given), so that the default tier trains one seed of each model. The hook sees every item of the session: other folders'
    claims are left alone."""
    for item in items:
        target = getattr(item, "callspec", None) and item.callspec.params.get("target")
        if folder in item.path.parents and target is not None and target.seed not in fast_seeds \
                and (models is None or target.model in models):
            item.add_marker(pytest.mark.slow)


def prompt_seeds(seeds: tuple[int, ...] = (0, 1, 2), fast: int | None = 0) -> pytest.MarkDecorator:
    """Parametrise a claim on a pretrained model (which has one seed) over the seeds of its prompt
    generator, as the ``prompt_seed`` argument: ``fast`` runs in the default tier, the others
    (all, with ``fast=None``) are ``slow``. Test ids end in ``prompts<seed>``."""
    return pytest.mark.parametrize("prompt_seed", [
        pytest.param(seed, id=f"prompts{seed}", marks=[] if seed == fast else [pytest.mark.slow]) for seed in seeds])


BEHAVIOUR_ACCURACY = 0.9  # "the model does it": correct above wrong on 90% of prompts (our reading)


def expect_behaviour(evidence: Any, diff: Any, mean_name: str, accuracy_name: str) -> None:
    """The natural-language claims' test that a model does a behaviour, from the per-prompt
    logit differences correct - wrong ``diff`` ([n]): their mean > 0 (``mean_name``) and correct
    above wrong on ``BEHAVIOUR_ACCURACY`` of the prompts (``accuracy_name``)."""
    evidence.expect(mean_name, diff.mean(), ">", 0.0, per_example=diff)
    evidence.expect(accuracy_name, (diff > 0).float().mean(), ">=", BEHAVIOUR_ACCURACY)


MOSTLY = 0.5  # "attends mostly to": more than half of the head's attention


def expect_top_head_reads(evidence: Any, nl: Any, task: str, seed: int, evidence_key: str, other_key: str) -> None:
    """The natural-language claims' test that the head with the largest direct effect (DLA) on
    ``task`` reads the evidence (``nl``: the ``nl`` fixture of ``claims/nl_circuits``): its
    attention from the last position is more than ``MOSTLY`` on the ``evidence_key`` position,
    and more there than on the ``other_key`` position (per prompt)."""
    head, evidence_attention = nl.top_head_attention(task, evidence_key, seed)
    _, other = nl.top_head_attention(task, other_key, seed)
    evidence.note("top DLA head (direct effect)", named_scores(nl.head_dla(task, seed), [head], 2))
    evidence.note(f"its mean attention to the {other_key}", round(float(other.mean()), 3))
    evidence.expect(f"its attention to the {evidence_key}", evidence_attention.mean(), ">", MOSTLY, per_example=evidence_attention)
    difference = evidence_attention - other
    evidence.expect(f"its attention to the {evidence_key} - to the {other_key}", difference.mean(), ">", 0.0, per_example=difference)
PHASE_ONSET, PHASE_P_VALUE = 0.5, 0.01  # the dynamics claims' phase-transition thresholds (5.7, our own)


def expect_phase_transition(evidence: Any, steps: Any, curve: Any, name: str) -> None:
    """The dynamics claims' test that ``curve`` (a value at each of ``steps``) changes as a phase
    transition (``harness.interp.phase``): at least 4 measured steps inside its 10%-90% change
    (a precondition), onset ratio > 0.5 and a change-point p-value < 0.01."""
    evidence.require("checkpoints inside the rise (10%-90%)", points_within_change(steps, curve), ">=", 4)
    evidence.expect(f"onset ratio of the {name}'s rise", onset_ratio(steps, curve), ">", PHASE_ONSET)
    evidence.expect("change-point p-value", change_point_p_value(steps, curve).p_value, "<", PHASE_P_VALUE)


MOTIF_CHANCE_CEILING = 0.25  # above it, "twice the shuffled share" is out of reach (4.34, set after a review)


def expect_motif_beyond_chance(evidence: Any, share: float, control: float, found: Any, unit: str) -> None:
    """4.34's test (``harness.interp.motifs.motif_shares``): the share of ``unit`` that are the weak
    feature of an asymmetric superposition motif is above twice the shuffled control's. Requires
    the control under ``MOTIF_CHANCE_CEILING``: where chance motifs are that common, twice it is
    nearly unreachable and the test has no power (inconclusive, not refuted)."""
    evidence.note("motifs found (i, j, k, l), first 10", plain(found[:10]))
    evidence.note(f"share of {unit} with a motif, and with the output weights shuffled", [round(share, 4), round(control, 4)])
    evidence.require(f"share of {unit} with a motif, output weights shuffled", control, "<", MOTIF_CHANCE_CEILING)
    evidence.expect(f"share of {unit} with a motif - 2 x shuffled control", share - 2 * control, ">", 0.0)
