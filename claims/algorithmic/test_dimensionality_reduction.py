"""Dimensionality reduction on modular addition (problems 3.25 / 3.26) on ``mod-add-mlp``
(``catalog.modular``: one-hot a, b -> 256 ReLU -> 53, grokked; 3.3's claims show each neuron
reads ``a`` through one frequency while the neurons together use many).

3.25: which of PCA, ICA, NMF and SVD (scikit-learn) recover single frequencies from three views
(``catalog.modular_variants.mlp_views``): the input weights of ``a`` (rows ``a``), the output
weights (rows the answer ``c``), the neuron activations (rows the pairs ``(a, b)``). A component
"is single-frequency" when one frequency carries > 0.8 of its Fourier norm (1D views; our own
level) or its best frequency's terms explain > 0.85 of its variance (activations; Nanda et al.
2023 section 4.2's level per neuron). 3.26: which weights matter most by ablation; do neurons
cluster by frequency.

All thresholds are ours, set before measuring. The claims require the model to have grokked.
"""

from catalog.modular import modular_embedding, modular_problem
from catalog.modular_variants import block_ablation_accuracy, held_out_accuracy
from harness import claim
from harness.interp.fourier import column_frequency_norms
from harness.interp.reduction import frequency_silhouette

MODELS = ["mod-add-mlp"]
SEEDS = [0, 1, 2]
SHARE = {"embedding": 0.8, "unembedding": 0.8, "neuron acts": 0.85}  # single-frequency component
RECOVERS = ("{} recovers single frequencies: more than half of its top 8 components are single-frequency on each of "
            "the input weights, the output weights and the neuron activations")


def require_grokked(model, target, evidence):
    evidence.require("grokked: final test accuracy", held_out_accuracy(model, modular_problem(target.model)), ">", 0.99)


def check_recovers(method, model, target, reductions, evidence):
    """Threshold: > 50% of the components single-frequency (``SHARE``), on every view."""
    require_grokked(model, target, evidence)
    for view, level in SHARE.items():
        shares = reductions[(view, method)]
        evidence.note(f"{view}: best-frequency share of each component", [round(float(s), 3) for s in shares])
        evidence.expect(f"{view}: share of single-frequency components", float((shares > level).float().mean()), ">", 0.5)


@claim("3.25", RECOVERS.format("PCA"), models=MODELS, seeds=SEEDS,
       refuted="share of single-frequency components in the top 8 (embedding / unembedding / neuron acts) 0 / 0.25 / 0, 0 / 0.125 / 0, 0 / 0.125 / 0 (seeds 0 / 1 / 2): the components mix frequencies")
def test_pca_recovers_frequencies(model, target, reductions, evidence):
    """PCA components are orthogonal eigenvectors: if the neurons of different frequencies have
    disjoint weights, the frequencies do not mix (our own reasoning). Threshold above, ours."""
    check_recovers("pca", model, target, reductions, evidence)


@claim("3.25", RECOVERS.format("ICA"), models=MODELS, seeds=SEEDS,
       refuted="share of single-frequency components (embedding / unembedding / neuron acts) 0.125 / 0.125 / 0, 0 / 0 / 0, 0 / 0 / 0 (seeds 0 / 1 / 2)")
def test_ica_recovers_frequencies(model, target, reductions, evidence):
    """FastICA (unit-variance whitening, at most 500 iterations). Threshold above, ours."""
    check_recovers("ica", model, target, reductions, evidence)


@claim("3.25", RECOVERS.format("NMF"), models=MODELS, seeds=SEEDS,
       refuted="no single-frequency component on any view (0 / 0 / 0 on seeds 0, 1, 2)")
def test_nmf_recovers_frequencies(model, target, reductions, evidence):
    """NMF (nndsvda init, at most 400 iterations) on the views shifted to be non-negative (the
    activations are ReLU outputs already). Threshold above, ours."""
    check_recovers("nmf", model, target, reductions, evidence)


@claim("3.25", RECOVERS.format("truncated SVD"), models=MODELS, seeds=SEEDS,
       refuted="share of single-frequency components (embedding / unembedding / neuron acts) 0 / 0.25 / 0, 0 / 0 / 0, 0 / 0.125 / 0 (seeds 0 / 1 / 2)")
def test_svd_recovers_frequencies(model, target, reductions, evidence):
    """TruncatedSVD (no centring, unlike PCA). Threshold above, ours."""
    check_recovers("svd", model, target, reductions, evidence)


@claim("3.26", "The biases matter less than any weight matrix: zero-ablating b_in or b_out costs less test accuracy "
       "than zero-ablating the input weights of a, of b, or the output weights", models=MODELS, seeds=SEEDS)
def test_weights_matter_more_than_biases(model, target, evidence):
    """Our own hypothesis, set before measuring: the algorithm lives in the weights (Nanda et al.
    2023's Fourier multiplication), the biases only shift. Threshold: the lowest accuracy after
    ablating a bias is above the highest after ablating a weight matrix."""
    require_grokked(model, target, evidence)
    accuracy = block_ablation_accuracy(model, modular_problem(target.model))
    evidence.note("test accuracy with each block zero-ablated", {k: round(v, 3) for k, v in accuracy.items()})
    weights = max(accuracy[k] for k in ("W_in[a]", "W_in[b]", "W_out"))
    evidence.expect("lowest accuracy with a bias ablated", min(accuracy["b_in"], accuracy["b_out"]), ">", weights)


@claim("3.26", "Neurons cluster by frequency: grouped by the top frequency of their input weights, their Fourier "
       "spectra have a silhouette score > 0.5, and < 0.1 with the groups shuffled", models=MODELS, seeds=SEEDS)
def test_neurons_cluster_by_frequency(model, target, evidence):
    """Silhouette (scikit-learn) of the neurons' normalised input-weight frequency spectra,
    labelled by their top frequency; thresholds 0.5 ("reasonable structure", Kaufman and
    Rousseeuw 1990's reading of the silhouette) and 0.1 for the shuffled baseline: ours."""
    require_grokked(model, target, evidence)
    grouped, shuffled = frequency_silhouette(column_frequency_norms(modular_embedding(model, modular_problem(target.model))), seed=target.seed)
    evidence.expect("silhouette grouped by top frequency", grouped, ">", 0.5)
    evidence.expect("silhouette with shuffled groups", shuffled, "<", 0.1)
