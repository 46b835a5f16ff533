"""Tiers of the algorithmic pack: seed 0 of every claim runs in CI (about 10 minutes cold with
``-n 2``: every model is trained once); seeds 1 and 2 train two more copies of every model and
are marked ``slow``. Run them with ``pytest claims/algorithmic -n 2 -m ""`` (or ``-m slow``).
The grokking claims share the ``trajectory`` fixture."""

from pathlib import Path

from catalog.automata import automaton_model
from catalog.double_descent import WIDTHS, classification_errors, width_model
from catalog.modular import grokking_trajectory, modular_problem
from catalog.modular_variants import TICKETS, grok_step, mlp_views
from harness.claims.shared import mark_slow_beyond, per_target
from harness.interp.reduction import METHODS, component_frequency_shares, reduce
from harness.models.memory_cache import load_checkpoints

FAST_SEEDS = {0}
HERE = Path(__file__).parent
# every seed slow: 3.12's seed 0 in the default tier is Dyck-1's, the quickest automaton to learn
ALL_SEEDS_SLOW = {automaton_model("parity"), automaton_model("counter3")}


def pytest_collection_modifyitems(config, items):
    mark_slow_beyond(items, HERE, FAST_SEEDS)
    mark_slow_beyond(items, HERE, set(), ALL_SEEDS_SLOW)


@per_target
def trajectory(checkpoints, target):
    """``grokking_trajectory`` of a modular model: progress measures at every checkpoint of its
    training run (computed once per model and seed)."""
    return grokking_trajectory(checkpoints, modular_problem(target.model))


# ------------------------------------------------------------------ 3.25 / 3.26 / 3.28 / 3.11 (issue #17)
REDUCED_COMPONENTS = 8  # components kept by each dimensionality reduction (3.25)


@per_target
def reductions(model, target):
    """``{(view, method): [REDUCED_COMPONENTS]}`` best-single-frequency share of each component
    of PCA / ICA / NMF / SVD on the views of ``catalog.modular_variants.mlp_views`` (3.25)."""
    views = mlp_views(model, modular_problem(target.model))
    return {(view, method): component_frequency_shares(reduce(x, method, REDUCED_COMPONENTS, seed=target.seed))
            for view, x in views.items() for method in METHODS}


@per_target
def ticket_grok_steps(target):
    """``{model: first checkpoint step with held-out accuracy > 0.99, or None}`` of the dense
    ``mod-add-mlp`` and its two pruned retrainings (3.28), at the claim's seed, and the
    checkpoint steps."""
    problem = modular_problem(target.model)
    runs = {name: load_checkpoints(name, target.seed) for name in ("mod-add-mlp", *TICKETS)}
    return {name: grok_step(checkpoints, problem) for name, checkpoints in runs.items()}, list(runs[TICKETS[0]])


@per_target
def width_sweep(model_at_seed):
    """``{width: (train error on the noisy labels, clean test error)}`` of the digits MLPs of
    every width of ``catalog.double_descent.WIDTHS`` at the claim's seed (3.29)."""
    return {width: classification_errors(model_at_seed(width_model(width))) for width in WIDTHS}


# ------------------------------------------------------------------ 3.13 / 3.14 / 3.15 (issue #17)
# every seed slow: each model trains for minutes cold (3.17's majority model, seconds, keeps seed 0 in the default tier)
ALL_SEEDS_SLOW |= {"icl-linear-2l", "icl-stump-2l", "mul-4-bit-2l"}
