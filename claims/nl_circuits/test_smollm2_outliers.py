"""Emergent outlier features in SmolLM2-135M-Instruct (open problem 2.38; Dettmers et al. 2022,
"LLM.int8()", section 4.1 and figure 3), by their criterion (``harness.interp.outliers``): a
hidden dimension with magnitude >= 6 in at least 25% of the layers and at at least 6% of the
positions, in the inputs of the attention and MLP projections (the norms' outputs). Deviation:
Dettmers et al. measured on C4 / held-out text; the prompts here are 100 windows of 32 tokens of
standard-library docstring prose per prompt seed (no hub data set is reachable).
"""

from harness import claim
from harness.claims.shared import prompt_seeds

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.38", "SmolLM2-135M has at least one outlier feature by Dettmers et al.'s criterion", models=MODELS)
def test_smollm2_has_outlier_features(model, pack, prompt_seed, evidence):
    """Our own hypothesis, set before measuring (Dettmers et al. find the systematic outliers
    from 6.7B parameters on; whether a 135M model has any is the question): threshold >= 1
    dimension. The dimensions, their layers and the tokens where each is largest are noted."""
    found, tokens = pack.outliers(prompt_seed)
    evidence.note("outlier dimensions: layers", found.layers)
    evidence.note("outlier dimensions: top tokens", tokens)
    evidence.expect("outlier dimensions", len(found.dims), ">=", 1)


@prompt_seeds()
@claim("2.38", "SmolLM2's outlier features are few: at most 6 of its 576 residual dimensions", models=MODELS)
def test_smollm2_outlier_features_are_few(model, pack, prompt_seed, evidence):
    """Dettmers et al. 2022 report the outliers of their 6.7B model concentrated in 6 feature
    dimensions. Threshold: <= 6 dimensions; requires at least one."""
    found, _ = pack.outliers(prompt_seed)
    evidence.require("outlier dimensions", len(found.dims), ">=", 1)
    evidence.note("share of positions per outlier dimension", {d: round(float(found.position_share[d]), 3) for d in found.dims})
    evidence.expect("outlier dimensions", len(found.dims), "<=", 6)
