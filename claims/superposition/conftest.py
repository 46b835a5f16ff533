"""The baselines the ReLU-output variants are compared with: the ``sweep_baseline`` and
``repeats_baseline`` fixtures. Claims on the models with ``REPEATS`` instances per sparsity run
seed 0 in CI (its instances already give the uncertainty); seeds 1 and 2 are marked ``slow``."""

from pathlib import Path

import pytest

from harness.claims.shared import mark_slow_beyond

BASELINE = "tms-relu-n20-m5-sweep"
REPEATS_BASELINE = "tms-relu-n20-m5-repeats"
#: Claim models with ``REPEATS`` instances per sparsity (compared with ``REPEATS_BASELINE``).
REPEATS_MODELS = {"tms-relu-n20-m5-dropout-repeats", "tms-relu-n20-m5-discrete123"}
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    mark_slow_beyond(items, HERE, {0}, REPEATS_MODELS)


@pytest.fixture
def sweep_baseline(model, model_at_seed):
    """``W`` ``[instances, m, n]`` of the ``BASELINE`` sweep model of the claim's seed, restricted
    to the claim model's densities (its instances trained at the same sparsities)."""
    base = model_at_seed(BASELINE)
    return base.net.W.detach()[[base.instance(float(d)) for d in model.densities]]


@pytest.fixture
def repeats_baseline(model_at_seed):
    """The ``REPEATS_BASELINE`` model (U[0, 1] values, several initialisations per sparsity) of
    the claim's seed."""
    return model_at_seed(REPEATS_BASELINE)
