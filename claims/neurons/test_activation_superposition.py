"""Getting rid of superposition in the text language models trained here (issue #18: open problems
4.41 and 4.42), by 4.37's measure (the conftest's ``monosemantic_share``: the share of first-layer
neurons with at least 80% of their 20 strongest activations in one token class, over the
``neurons`` probe windows). ``lm`` tier: the members train for hours on CPU. The same questions on
toy models trained here in seconds, where the features are known:
``claims/superposition/test_getting_rid_of_superposition.py``.
"""

from harness import claim
from harness.claims.shared import prompt_seeds

RELU = ["lm-relu-1l", "lm-relu-2l"]


@prompt_seeds()
@claim("4.41", "ReLU language models have a larger share of monosemantic first-layer neurons than GELU models of "
       "the same depth (monosemantic: at least 80% of the 20 strongest activations in one token class)", models=RELU)
def test_relu_has_more_monosemantic_neurons_than_gelu(target, expect_more_monosemantic):
    """Our own hypothesis, set before measuring: ReLU's hard zero leaves a neuron silent on all but
    its strongest inputs, GELU's negative lobe lets it carry weak signals of other features; the
    SoLU paper's comparison (Elhage et al. 2022, Sec. 5.2) with ReLU in place of SoLU, rated
    automatically as in 4.37. Threshold: difference > 0."""
    expect_more_monosemantic(target.model.replace("relu", "gelu"), "ReLU", "GELU")


@prompt_seeds()
@claim("4.42", "A 1-layer language model with an MLP of 100 x d_model has a larger share of monosemantic neurons "
       "than the same model with 4 x d_model", models=["lm-gelu-1l-mlp100"])
def test_wide_mlp_has_more_monosemantic_neurons(expect_more_monosemantic):
    """Our own hypothesis, set before measuring: with 25x more neurons than ``lm-gelu-1l``
    (25600 against 1024) the model can give features neurons of their own (Elhage et al. 2022,
    Toy Models of Superposition: superposition is a response to too few dimensions). Threshold:
    difference > 0."""
    expect_more_monosemantic("lm-gelu-1l", "100 x d_model", "4 x d_model")
