"""The asymmetric superposition motif (open problem 4.34) in the first MLP of 1- and 2-layer
language models (the family trained here, ``lm`` tier, and the TransformerLens originals) and of
SmolLM2-135M, with the current token as the feature basis (``harness.interp.motifs``)."""

import torch

from catalog.pretrained import SMOLLM2
from harness import claim
from harness.claims.shared import expect_motif_beyond_chance, prompt_seeds
from harness.interp.motifs import motif_shares, token_features

#: 1- and 2-layer GELU and SoLU models: the family trained here and the TransformerLens originals
MODELS = [f"{source}{act}-{layers}l" for layers in (1, 2) for act in ("gelu", "solu") for source in ("lm-", "")] + [SMOLLM2]
N_TOKENS = 200  # the features: the most frequent tokens of the prompt draw's probe windows


def token_motif_shares(neurons) -> tuple[float, float, torch.Tensor]:
    """``motif_shares`` of MLP 0 with the ``N_TOKENS`` most frequent tokens of the prompt draw as
    features, shuffled with the draw's seed."""
    ids, counts = neurons.token_ids.unique(return_counts=True)
    tokens = ids[counts.argsort(descending=True, stable=True)[:N_TOKENS]]
    return motif_shares(*token_features(neurons.model, tokens, neurons.codec.bos), seed=neurons.seed)


@prompt_seeds()
@claim("4.34", "The asymmetric superposition motif appears in the first MLP beyond chance: the share of frequent "
       "tokens that are the weak feature of a motif is above twice that with the output weights' neurons shuffled",
       models=MODELS,
       refuted={"smollm2-135m-seed0": "SmolLM2's MLP 0: share of the 200 tokens with a motif 0 / 0 / 0.005 (prompt "
                "draws 0-2; one motif in all) against 0.215 / 0.205 / 0.190 with the output weights shuffled"})
def test_asymmetric_superposition_motif(neurons, evidence):
    """Elhage et al. 2022 ("Toy Models of Superposition", section "The Asymmetric Superposition
    Motif", in their absolute-value model): two features share a neuron with very different
    input weights, and a second neuron cancels the larger one's interference on the smaller one's
    output. Deviations, for a language model: features are the 200 most frequent tokens of the
    probe windows, each seen alone (``[BOS, t]``) by MLP 0 (the extended-embedding view of an
    early MLP), and a token's readout is the unit direction of MLP 0's centred output for it; the
    motif's criteria (``asymmetric_superposition``: input ratio >= 2, the inhibitor cancels at
    least half the interference and less than half of the weak feature's signal) and the
    threshold (2x the shuffled control, which keeps the activations and the set of output
    weights but pairs them at random) are our own, set before measuring. The precondition (the
    shuffled share under 0.25, ``expect_motif_beyond_chance``) was added after a review, after the
    measurements: on the absolute-value toy the shuffled share is about 0.5, so the test there
    could not pass at all."""
    expect_motif_beyond_chance(evidence, *token_motif_shares(neurons), "tokens")
