"""T5 (open problem 4.43: "Study the T5 XXL. It's 11B params and not supported by TransformerLens.
Expect major infrastructure pain."). The infrastructure: T5 loads as a hub model
(``catalog.pretrained``: ``t5-v1_1-xxl`` and ``t5-small``) through the TransformerLens bridge's T5
adapter, which hooks both stacks; its neurons are its encoder MLPs' (the input of each MLP's output
projection, ``harness.interp.neurons.encoder_neuron_activations``), measured by the ``mlp_neurons``
fixture on the probe windows of the other neuron claims (``conftest.py``). Neither T5 is on this
machine (the hub is unreachable, and T5-XXL's 44 GB of float32 weights would not fit its memory):
their claims are skipped with that reason, and ``tests/claims/test_t5_claims_on_standins.py`` runs
them to a verdict on random-weight stand-ins. The same question is asked of the largest model
available here, SmolLM2-135M, as a 4.37 claim (a SmolLM2 result is not a T5 one); its draw 0 reads
the ``neurons`` measurements 4.35 already made (default tier; draws 1-2 ``slow``).
"""

from catalog.pretrained import SMOLLM2, T5_SMALL, T5_XXL
from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.neurons import MONOSEMANTIC_PURITY, live_top_class_purity

POLYSEMANTIC_MAJORITY = 0.5


@prompt_seeds()
@claim("4.43", "Most first-layer MLP neurons of T5 are polysemantic: fewer than half of its live encoder neurons are "
       "monosemantic (at least 80% of their 20 strongest activations on the probe text in one token class)",
       models=[T5_XXL, T5_SMALL])
def test_most_first_layer_neurons_of_t5_are_polysemantic(mlp_neurons, evidence):
    """Our own hypothesis, threshold (a share below 0.5) set before measuring: superposition makes
    most neurons polysemantic (Elhage et al. 2022, SoLU paper, Sec. 5.2, rated most GELU neurons
    not interpretable at a glance). The rating is 4.37's automatic one: top-20 class purity >= 0.8
    (token kind x prose / code, as 1.7), on the first encoder MLP layer's live neurons."""
    expect_mostly_polysemantic(mlp_neurons, evidence)


@prompt_seeds()
@claim("4.37", "Most first-layer MLP neurons of SmolLM2-135M (4.43's question, asked of the largest model here) are "
       "polysemantic: fewer than half of its live neurons are monosemantic by 4.37's rating", models=[SMOLLM2])
def test_most_first_layer_neurons_of_smollm2_are_polysemantic(neurons, evidence):
    """The hypothesis and threshold of the T5 claim above (ours, set before measuring), on
    SmolLM2's first MLP layer: what fraction of its neurons seem monosemantic (4.37's question)."""
    expect_mostly_polysemantic(neurons, evidence)


def expect_mostly_polysemantic(neurons, evidence) -> None:
    purity = live_top_class_purity(neurons.acts[0], neurons.classes)
    evidence.note("live neurons measured", purity.numel())
    evidence.expect("share of monosemantic first-layer neurons", (purity >= MONOSEMANTIC_PURITY).float().mean(), "<",
                    POLYSEMANTIC_MAJORITY, per_example=purity)
