"""The baseline the ReLU-output variants are compared with, as the ``sweep_baseline`` fixture."""

import pytest

BASELINE = "tms-relu-n20-m5-sweep"


@pytest.fixture
def sweep_baseline(model, model_at_seed):
    """``W`` ``[instances, m, n]`` of the ``BASELINE`` sweep model of the claim's seed, restricted
    to the claim model's densities (its instances trained at the same sparsities)."""
    base = model_at_seed(BASELINE)
    return base.net.W.detach()[[base.instance(float(d)) for d in model.densities]]
