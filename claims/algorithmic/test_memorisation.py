"""Memorisation of random data by a one-hidden-layer MLP (seed problem 3.24): ``memorise-mlp``
(16 -> 256 ReLU -> 10) trained full batch on 1000 Gaussian points with uniform random labels
(catalog/memorisation.py). The labels carry no structure, so whatever the network does is
memorisation; the question is how it is stored."""

from harness import claim
from harness.models.mlp import get_dataset, margin_concentration, neuron_ablation_flips

SEEDS = [0, 1, 2]
MODEL = ["memorise-mlp"]


def data():
    inputs, labels, _ = get_dataset("random-labels")
    return inputs, labels


@claim("3.24", "The MLP memorises 1000 random labels: > 99% training accuracy", models=MODEL, seeds=SEEDS)
def test_memorises_random_labels(model, evidence):
    """~6.9k parameters for 1000 x log2(10) = 3.3k bits of labels: capacity suffices, so
    threshold 99%."""
    inputs, labels = data()
    evidence.expect("training accuracy", (model(inputs).argmax(-1) == labels).float().mean(), ">", 0.99)


@claim("3.24", "Memorisation is distributed: zero-ablating any single neuron changes fewer than 5% of the predictions",
       models=MODEL, seeds=SEEDS)
def test_no_neuron_is_a_lookup_entry(model, evidence):
    """Against a lookup-table picture (one neuron per stored point or class). Threshold 5% of
    points for the most important neuron (our own)."""
    flips = neuron_ablation_flips(model, data()[0])
    evidence.note("mean flips per neuron", float(flips.mean()))
    evidence.expect("max share of predictions changed by one neuron", flips.max(), "<", 0.05)


@claim("3.24", "Each point's margin is spread over many neurons: its top 10 neurons carry under half of it (median over points)",
       models=MODEL, seeds=SEEDS)
def test_margins_are_spread(model, evidence):
    """Same distributed hypothesis seen per point: median share of the positive margin
    contributions in the top 10 of 256 neurons < 0.5 (our own threshold)."""
    inputs, labels = data()
    evidence.expect("median top-10 share of the margin", margin_concentration(model, inputs, labels, 10).median(), "<", 0.5)
