"""Variants of the ReLU output model (Elhage et al. 2022): dropout (4.1), non-uniform sparsity
(4.4), feature value ranges (4.7-4.9), GELU in place of ReLU (4.10, 4.11).

Each variant (catalog/superposition.py) is the n=20, m=5, importance-0.7^i model of
``tms-relu-n20-m5-sweep`` with one change, trained at a subset of the sweep's sparsities, and is
compared with the sweep model of the same seed at the same sparsity. Where a difference in the
number of represented features is claimed with its uncertainty (4.1's fewer features, 4.8), both
models have ``REPEATS`` instances (initialisations) per sparsity and the baseline is
``tms-relu-n20-m5-repeats``. "Represented" = ``||W_i|| > 0.5``.
"""
import torch

from catalog.superposition import M, VARIANT_DENSITIES
from harness import claim
from harness.interp.statistics import bootstrap_mean_difference
from harness.tms import feature_dimensionality, n_represented, privileged_basis_score
from harness.tms.spec import TMSRun


def mean_privileged_score(W):
    """Mean axis alignment of the represented features, per instance: ``[instances, m, n] -> [instances]``."""
    rep = W.norm(dim=-2) > 0.5
    return (privileged_basis_score(W) * rep).sum(-1) / rep.sum(-1).clamp_min(1)


@claim("4.1", "Dropout (p=0.2) on the hidden layer creates a privileged basis: the represented features' "
       "mean axis alignment exceeds the no-dropout model's by more than 0.1 (mean over S = 0, .9, .99)",
       models=["tms-relu-n20-m5-dropout"], seeds=[0, 1, 2],
       refuted="no privileged basis: the alignment gain is +0.003, -0.014, -0.000 (seeds 0-2); with "
               "dropout the alignment is 0.36-0.60, without it 0.39-0.57. Dropout's variance penalty "
               "sum_k W_ki^4 favours spreading a feature over hidden units, not aligning it")
def test_dropout_creates_privileged_basis(model: TMSRun, evidence, sweep_baseline):
    """Hypothesis of 4.1 ("does dropout create a privileged basis?"). Axis alignment: the share of
    ||W_i||^2 on the feature's top hidden unit (1 = basis-aligned, 1/m = spread). Threshold ours,
    set before measuring: +0.1 on that [0.2, 1] scale."""
    drop, base = mean_privileged_score(model.net.W.detach()), mean_privileged_score(sweep_baseline)
    evidence.note("axis alignment with dropout", model.by_sparsity(drop))
    evidence.note("axis alignment without dropout", model.by_sparsity(base))
    evidence.expect("mean alignment gain from dropout", (drop - base).mean(), ">", 0.1)


@claim("4.1", "Dropout (p=0.2) on the hidden layer reduces superposition: at S=0.99 it represents fewer "
       "features than the same model without dropout, beyond the spread over initialisations (95% "
       "bootstrap CI of the mean difference above 0)",
       models=["tms-relu-n20-m5-dropout-repeats"], seeds=[0, 1, 2])
def test_dropout_reduces_superposition(model: TMSRun, evidence, repeats_baseline):
    """Hypothesis of 4.1 ("study how this changes the results"): dropout noise on the hidden
    dimensions makes the interference between superposed features costlier. Threshold: the
    lower end of the 95% CI of the mean (over initialisations) of features represented without
    minus with dropout is above 0 (``fewer_features``)."""
    fewer_features(repeats_baseline, model, (0.01,), evidence, "no dropout minus dropout, S=0.99")


@claim("4.4", "With 3 dense features (S=0) and 17 sparse ones, the dense features get dedicated "
       "dimensions (D_i > 0.9) and more than m - 3 = 2 sparse features share the remaining dimensions",
       models=["tms-relu-n20-m5-two-class"], seeds=[0, 1, 2],
       refuted="the sparse class is superposed (9-15 sparse features represented) but the dense features "
               "are not given dedicated dimensions: their D_i range 0.37-0.92 (min 0.37, 0.41, 0.37 on "
               "seeds 0-2); they share dimensions with the sparse features")
def test_non_uniform_sparsity(model: TMSRun, evidence):
    """Hypothesis of 4.4 ("one class of less sparse features and another of very sparse"), after
    the paper's observation that dense features are not superposed: a dense feature interferes
    on every input. Thresholds: D_i > 0.9 (near a dedicated dimension, D=1) for each dense feature
    at every sparse density (.03, .01, .003); > 2 sparse features represented (superposition in
    the m - 3 dimensions left)."""
    W = model.net.W.detach()
    D = feature_dimensionality(W)
    sparse_count = n_represented(W[..., 3:])
    evidence.note("D_i of the dense features", [[round(v, 3) for v in row] for row in D[:, :3].tolist()])
    evidence.note("sparse features represented", sparse_count.tolist())
    evidence.expect("min D_i of the dense features", D[:, :3].min(), ">", 0.9)
    evidence.expect("min over instances of sparse features represented", sparse_count.min(), ">", 2)


def fewer_features(more: TMSRun, fewer: TMSRun, densities, evidence, label: str) -> None:
    """Features represented by ``more`` minus by ``fewer``, each averaged over its
    ``catalog.superposition.REPEATS`` instances per density and summed over ``densities``: the
    effect size (features per instance) and its 95% bootstrap CI (instances resampled);
    expects the CI's lower end > 0."""
    def counts(run: TMSRun):                                        # [densities, REPEATS]
        return n_represented(run.net.W.detach())[torch.tensor([run.instances(d) for d in densities])]

    high, low = counts(more), counts(fewer)
    estimate, ci_low, ci_high = bootstrap_mean_difference(high, low)
    evidence.note("features represented per instance", {
        f"S={1 - d:.4g}": {more.spec.name: h.tolist(), fewer.spec.name: f.tolist()}
        for d, h, f in zip(densities, high, low)})
    evidence.note(f"mean difference ({label}) and 95% CI", [round(estimate, 2), round(ci_low, 2), round(ci_high, 2)])
    evidence.expect(f"lower end of the 95% CI, {label}", ci_low, ">", 0)


def more_features_than_uniform(model: TMSRun, evidence, sweep_baseline) -> None:
    """Shared body of 4.7-4.9. Hypothesis (ours): the output bias can filter interference smaller
    than the smallest value a present feature takes; U[0, 1] features come arbitrarily close to 0,
    so values bounded away from 0 make superposition cheaper and more features are represented.
    Threshold: strictly more represented features, summed over S = .7, .9, .97, than the U[0, 1]
    sweep model of the same seed."""
    variant, base = n_represented(model.net.W.detach()), n_represented(sweep_baseline)
    evidence.note("features represented (variant)", model.by_sparsity(variant))
    evidence.note("features represented (U[0, 1] baseline)", model.by_sparsity(base))
    evidence.expect("represented features, variant minus baseline (sum over S)", (variant - base).sum(), ">", 0)


@claim("4.7", "With binary feature values (present = 1) the ReLU output model represents more features "
       "than with U[0, 1] values", models=["tms-relu-n20-m5-ones"], seeds=[0, 1, 2],
       refuted="binary features are represented slightly less often: total over S = .7, .9, .97 is "
               "25, 26, 25 against 27, 27, 27 for U[0, 1] (seeds 0-2); fewer at S = .7 and .9, "
               "0-2 more at S = .97")
def test_binary_features_superpose_more(model: TMSRun, evidence, sweep_baseline):
    """Hypothesis and threshold: :func:`more_features_than_uniform`."""
    more_features_than_uniform(model, evidence, sweep_baseline)


@claim("4.8", "With discrete feature values {1, 2, 3} the ReLU output model represents more features "
       "than with U[0, 1] values, beyond the spread over initialisations: the mean difference per "
       "instance summed over S = .7, .9, .97 has a 95% bootstrap CI above 0",
       models=["tms-relu-n20-m5-discrete123"], seeds=[0, 1, 2],
       refuted="not more, if anything fewer: discrete minus U[0, 1] features per instance, summed over "
               "S = .7, .9, .97 (8 initialisations each), is -0.38 (95% CI -1.5 to 0.75), -0.75 (-1.62 to "
               "0.12), -1.25 (-2.12 to -0.38) on seeds 0-2")
def test_discrete_features_superpose_more(model: TMSRun, evidence, repeats_baseline):
    """Hypothesis: :func:`more_features_than_uniform`'s. Threshold: ``fewer_features`` with the
    U[0, 1] repeats model as the one with fewer features (set before measuring)."""
    fewer_features(model, repeats_baseline, VARIANT_DENSITIES, evidence, "discrete minus U[0, 1], sum over S")


@claim("4.9", "With feature values U[0.5, 1] the ReLU output model represents more features than with "
       "U[0, 1] values", models=["tms-relu-n20-m5-uniform-half"], seeds=[0, 1, 2],
       refuted="not more: total over S = .7, .9, .97 is 26, 27, 25 against 27, 27, 27 for U[0, 1] "
               "(seeds 0-2)")
def test_half_uniform_features_superpose_more(model: TMSRun, evidence, sweep_baseline):
    """Hypothesis and threshold: :func:`more_features_than_uniform`."""
    more_features_than_uniform(model, evidence, sweep_baseline)


@claim("4.10", "With GELU in place of ReLU the output model keeps the paper's baseline: about m features "
       "(m +- 1) at S=0 and more than m at S=0.999", models=["tms-gelu-n20-m5-sweep"], seeds=[0, 1, 2])
def test_gelu_model_keeps_baseline(model: TMSRun, evidence):
    """Hypothesis of 4.10: GELU, like ReLU, can filter small negative interference, so the
    paper's "Basic Results" pattern survives. Thresholds: the baselines' (m at S=0 with +-1
    tolerance ours; > m = superposition at S=0.999)."""
    counts = n_represented(model.net.W.detach())
    evidence.note("features represented", model.by_sparsity(counts))
    evidence.expect("|features represented - m| at S=0", (counts[model.instance(1.0)] - M).abs(), "<=", 1)
    evidence.expect("features represented at S=0.999", counts[model.instance(0.001)], ">", M)


@claim("4.11", "GELU and ReLU output models differ significantly: at some sparsity of the sweep "
       "their numbers of represented features differ by 3 or more",
       models=["tms-gelu-n20-m5-sweep"], seeds=[0, 1, 2])
def test_gelu_differs_from_relu(model: TMSRun, evidence, sweep_baseline):
    """Hypothesis of 4.11 ("a toy model where GELU acts significantly differently from ReLU"):
    GELU passes small negative pre-activations (down to -0.17) that ReLU zeroes, so interference
    is filtered less well. Threshold ours, set before measuring: 3 of 20 features."""
    gelu = n_represented(model.net.W.detach())
    relu = n_represented(sweep_baseline)
    evidence.note("features represented (GELU)", model.by_sparsity(gelu))
    evidence.note("features represented (ReLU)", model.by_sparsity(relu))
    evidence.expect("max |GELU - ReLU| represented features", (gelu - relu).abs().max(), ">=", 3)
