"""Neuron superposition in small language models (issue #18: open problems 4.29-4.31, 4.35-4.37,
4.40): how a polysemantic neuron's features are told apart, how many neurons carry one feature,
probes against single neurons, and SoLU against GELU. Measured on the ``neurons`` fixture
(``conftest.py``: 24 probe windows of up to 64 tokens, 80% prose and 20% Python code, drawn with
the claim's ``prompt_seed``) on SmolLM2-135M (default tier, prompt draw 0), the GELU / SoLU
members of the family trained here (``lm`` tier) and the TransformerLens originals (hub; skipped
without them). Since the family is not trained here (~92 CPU-hours), 4.29, 4.37 and 4.40 also run on
``catalog.small_lm``'s tiny 1-layer pair (``SMALL``: d_model 64, 512-token vocab, 1000 steps on the
stand-in corpus) on seeds 0-2, prompt draw 0 (windows of 31 tokens, their context), ``slow`` tier
(each trains in ~20 s cold): results about tiny models, not the family's. Two simple features:
"is a number" (the current token is digits, ``TOKEN_KINDS``) and "is in code" (the position is in a
code window).

A probe or a neuron is chosen on the first half of the prose and of the code windows
(``neurons.selection``) and scored (AUROC) on the other half.
"""

import torch

from catalog.pretrained import SMOLLM2
from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.neurons import context_separation, max_correlation, polysemantic_neurons, selected_auroc
from harness.interp.probes import sparse_probe_neurons
from harness.plain import plain

ONE_LAYER = ["lm-gelu-1l", "lm-solu-1l", "gelu-1l", "solu-1l"]
TWO_LAYER = ["lm-gelu-2l", "lm-solu-2l", "gelu-2l", "solu-2l"]
SOLU = ["lm-solu-1l", "lm-solu-2l", "solu-1l", "solu-2l"]
SMALL = ["lm-small-gelu-1l", "lm-small-solu-1l"]  # catalog.small_lm, on seeds 0-2
SMALL_SEEDS = [0, 1, 2]
MIN_MATCHES = 5
PROBE_AUROC = 0.95  # "detects the feature" (our own, set before measuring; the 1.8 neuron threshold)
SPARSE_NEURONS = 8
MIXED_NEURONS = 8  # polysemantic neurons examined per layer


def features(labels: dict[str, torch.Tensor], neurons, evidence) -> dict[str, torch.Tensor]:
    """The ``simple_features`` labels (conftest: "number", "code"), after requiring >=
    ``MIN_MATCHES`` numbers in each half."""
    evidence.require("number tokens in the smaller half",
                     min(int(labels["number"][s].sum()) for s in (neurons.selection, ~neurons.selection)), ">=", MIN_MATCHES)
    return labels


@prompt_seeds()
@claim("4.35", "A linear probe on the first MLP layer's neuron activations detects number tokens and code positions "
       "with a held-out AUROC above 0.95", models=[*ONE_LAYER, SMOLLM2],
       refuted={"smollm2-135m-seed0": "SmolLM2's MLP 0: numbers are detected (AUROC 1.000 / 1.000 on prompt draws "
                "0-1) but code positions are not: 0.860 / 0.654; draw 2 has 4 number tokens in a half (inconclusive)"})
def test_probe_on_mlp_activations(neurons, simple_features, prompt_seed, first_layer_probe, evidence):
    """Our own hypothesis and threshold (0.95), set before measuring. The probe: L2 logistic
    regression (scikit-learn, C = 1) on the standardised post-activations of every neuron of MLP
    0, as Gurnee et al. 2023's dense baseline probe."""
    for name in features(simple_features, neurons, evidence):
        evidence.expect(f"{name}: held-out AUROC of the probe", first_layer_probe(prompt_seed, name), ">", PROBE_AUROC)


@prompt_seeds()
@claim("4.36", "On the first MLP layer, a probe over all neurons detects number tokens and code positions better "
       "(held-out AUROC) than the best single neuron", models=[*ONE_LAYER, SMOLLM2])
def test_probe_beats_best_neuron(neurons, simple_features, prompt_seed, first_layer_probe, evidence, show_neuron):
    """Gurnee et al. 2023 ("Finding Neurons in a Haystack", Sec. 4, Fig. 3) find that k-sparse
    probes gain over k = 1 for most features in early layers (superposition spreads them). Our
    threshold (difference > 0), set before measuring. The neuron: the best AUROC on the selection
    half (as 1.8); both scored on the other half."""
    for name, label in features(simple_features, neurons, evidence).items():
        neuron, _, single = selected_auroc(neurons.acts[0], label, neurons.selection)
        evidence.note(f"{name}: best neuron and its held-out AUROC", [neuron, round(single, 3)])
        show_neuron(0, neuron)
        evidence.expect(f"{name}: probe - best neuron held-out AUROC",
                        first_layer_probe(prompt_seed, name) - single, ">", 0.0)


@prompt_seeds()
@claim("4.31", "Number tokens are carried sparsely by the first MLP layer: a probe on at most 8 of its neurons "
       "reaches a held-out AUROC of 0.95", models=[*ONE_LAYER, SMOLLM2])
def test_number_feature_is_sparse(neurons, simple_features, evidence):
    """Our own hypothesis and thresholds (8 neurons, AUROC 0.95), set before measuring. Gurnee et
    al. 2023's k-sparse probes: neurons ranked by their standardised mean difference between
    number and other tokens on the selection half, a logistic probe on the top k = 1, 2, 4, ...,
    128 neurons; the value is the smallest k that reaches 0.95 held out (129 when none does).
    The purity (as 1.7) of the top-ranked neuron is noted: 4.31 asks for a feature of a
    polysemantic neuron."""
    label = features(simple_features, neurons, evidence)["number"]
    needed, scores = sparse_probe_neurons(neurons.acts[0], label, neurons.selection, PROBE_AUROC)
    evidence.note("held-out AUROC per k", plain(scores, 3))
    evidence.expect("neurons needed for AUROC 0.95", 129 if needed is None else needed, "<=", SPARSE_NEURONS)


def expect_context_separates(neurons, evidence) -> None:
    """The 4.29 / 4.30 measurement on the layer the MLP-input probe reads (``neurons.probe_layer``)."""
    acts = neurons.acts[neurons.probe_layer]
    chosen = polysemantic_neurons(acts, neurons.classes, MIXED_NEURONS)
    results = {int(n): context_separation(acts[:, n], neurons.mlp_input, neurons.classes) for n in chosen}
    mixed = {n: r for n, r in results.items() if r is not None}
    evidence.note("neuron: (cross-validated accuracy, majority share)", plain(mixed, 3))
    evidence.require("neurons mixed in their top 5% (>= 5 tokens each side)", len(mixed), ">=", MIXED_NEURONS // 2)
    accuracy, majority = (torch.tensor(column) for column in zip(*mixed.values()))
    evidence.expect("median probe accuracy over the mixed neurons", accuracy.median(), ">", 0.9, per_example=accuracy)
    # a lopsided top 5% lets a constant guess pass 0.9: the probe must also beat the majority share
    evidence.expect("median accuracy - majority share", (accuracy - majority).median(), ">", 0.0,
                    per_example=accuracy - majority)


@prompt_seeds()
@claim("4.29", "A polysemantic neuron's features are told apart by the MLP input: over the 8 most mixed strongly "
       "firing neurons of a 1-layer model, a linear probe on the MLP input separates the neuron's main token class "
       "from its others among its top 5% tokens with median accuracy above 0.9", models=ONE_LAYER)
def test_one_layer_polysemantic_neuron_disambiguated(neurons, evidence):
    """Our own hypothesis and threshold (0.9), set before measuring, after Elhage et al. 2022
    (Toy Models of Superposition: a polysemantic neuron's features stay distinguishable by other
    directions of the space it reads). Mixed: the most ``effective_classes`` among the top 20
    activations (classes as 1.7: token kind x prose / code), among neurons with an above-median
    top-20 mean. Probe: logistic regression on the MLP's normalised input, 5-fold accuracy. The
    probe must also beat the majority share of its neuron's top 5% (median difference > 0): added
    after a review, before any result on a 1- or 2-layer model (SmolLM2's 4.30 was refuted by the
    accuracy alone)."""
    expect_context_separates(neurons, evidence)


@prompt_seeds(seeds=(0,), fast=None)  # each model trains in ~20 s cold
@claim("4.29", "A polysemantic neuron's features are told apart by the MLP input, as above, in a small 1-layer GELU or "
       "SoLU model trained here", models=SMALL, seeds=SMALL_SEEDS,
       refuted={f"lm-small-{family}-1l-seed{seed}": f"median probe accuracy {accuracy} < 0.9 over the 8 mixed neurons "
                f"(prompt draw 0; it beats the majority share by {margin})"
                for family, seed, accuracy, margin in (
                    ("gelu", 0, 0.814, 0.162), ("gelu", 1, 0.864, 0.277), ("gelu", 2, 0.843, 0.194),
                    ("solu", 0, 0.893, 0.324), ("solu", 1, 0.807, 0.159), ("solu", 2, 0.868, 0.244))})
def test_one_layer_polysemantic_neuron_disambiguated_in_a_small_model(neurons, evidence):
    """As above (same thresholds, set before measuring), on the tiny pair (``SMALL``) instead of
    the family."""
    expect_context_separates(neurons, evidence)


@prompt_seeds(fast=None)  # every draw slow: 40 probe fits take ~27 s on SmolLM2 (2 loaded cores)
@claim("4.30", "In a 2-layer (or deeper) model, a polysemantic neuron of the probed layer has its features told "
       "apart by its input: median probe accuracy above 0.9 over its 8 most mixed neurons (as 4.29)",
       models=[*TWO_LAYER, SMOLLM2],
       refuted={"smollm2-135m-seed0": "SmolLM2 layer 4: median accuracy 0.871 / 0.856 / 0.883 over the 8 mixed "
                "neurons (prompt draws 0-2; majority shares 0.51-0.76), per neuron 0.70-0.99"})
def test_two_layer_polysemantic_neuron_disambiguated(neurons, evidence):
    """As 4.29 (same threshold, set before measuring), on the layer ``neurons.probe_layer`` (layer
    1 of a 2-layer model, layer 4 of SmolLM2), whose input already holds the first layers' context."""
    expect_context_separates(neurons, evidence)


@prompt_seeds()
@claim("4.37", "SoLU models have a larger share of monosemantic first-layer neurons than GELU models of the same "
       "depth (monosemantic: at least 80% of the 20 strongest activations in one token class)", models=SOLU)
def test_solu_has_more_monosemantic_neurons(target, expect_more_monosemantic):
    """Elhage et al. 2022 (SoLU paper, Sec. 5.2) count neurons that human raters find
    interpretable at a glance, SoLU above GELU; our deviation: an automatic rating (top-20 class
    purity >= 0.8, classes as 1.7: the conftest's ``monosemantic_share``), threshold (difference > 0)
    set before measuring. Unlike 1.16 (mean purity, 1 layer) this is the paper's share-of-neurons
    form, at 1 and 2 layers."""
    expect_more_monosemantic(target.model.replace("solu", "gelu"), "SoLU", "GELU")


@prompt_seeds(seeds=(0,), fast=None)  # two models train in ~20 s each cold
@claim("4.37", "A small 1-layer SoLU model trained here has a larger share of monosemantic first-layer neurons than "
       "its GELU twin (as above)", models=["lm-small-solu-1l"], seeds=SMALL_SEEDS,
       refuted={"lm-small-solu-1l-seed1": "share monosemantic SoLU 0.333 / GELU 0.336 (difference -0.003; prompt draw "
                "0); seeds 0 and 2 hold (0.366 / 0.281, 0.353 / 0.336)"})
def test_small_solu_has_more_monosemantic_neurons(target, expect_more_monosemantic):
    """As above (same threshold, set before measuring), on the tiny pair (``SMALL``) at the same
    seed instead of the family."""
    expect_more_monosemantic(target.model.replace("solu", "gelu"), "SoLU", "GELU")


def expect_similar_to_gelu(neurons, gelu_neurons, evidence) -> None:
    """The 4.40 measurement: the max |correlation| of each first-layer SoLU neuron with a GELU
    neuron over the same tokens, after the shuffled-token control."""
    gelu = gelu_neurons.acts[0]
    shuffled = gelu[torch.randperm(len(gelu), generator=torch.Generator().manual_seed(0))]
    evidence.require("median max correlation with shuffled GELU tokens", max_correlation(neurons.acts[0], shuffled).median(),
                     "<", 0.2)
    similarity = max_correlation(neurons.acts[0], gelu)
    evidence.expect("median max |correlation| with a GELU neuron", similarity.median(), ">", 0.5, per_example=similarity)


@prompt_seeds()
@claim("4.40", "SoLU and GELU models of the same depth learn similar first-layer neurons: the median SoLU neuron "
       "has a GELU neuron whose activation correlates above 0.5 with it over the same text", models=SOLU)
def test_solu_and_gelu_neurons_are_similar(target, neurons, baseline_neurons, evidence):
    """Our own hypothesis and threshold (0.5), set before measuring; the similarity is the max
    |Pearson correlation| over the probe windows' tokens (as Li et al. 2016, "Convergent
    Learning", match neurons across networks). Control: with the GELU tokens in shuffled order
    the median must stay below 0.2 (else the max over many neurons measures chance)."""
    expect_similar_to_gelu(neurons, baseline_neurons(target.model.replace("solu", "gelu")), evidence)


@prompt_seeds(seeds=(0,), fast=None)  # two models train in ~20 s each cold
@claim("4.40", "A small 1-layer SoLU model and its GELU twin trained here learn similar neurons (as above)",
       models=["lm-small-solu-1l"], seeds=SMALL_SEEDS)
def test_small_solu_and_gelu_neurons_are_similar(target, neurons, baseline_neurons, evidence):
    """As above (same thresholds, set before measuring), on the tiny pair (``SMALL``) at the same
    seed instead of the family."""
    expect_similar_to_gelu(neurons, baseline_neurons(target.model.replace("solu", "gelu")), evidence)
