"""Baselines of Elhage et al. 2022, "Toy Models of Superposition" (transformer-circuits.pub/2022/toy_model),
on the ReLU output model x -> ReLU(W^T W x + b) (problem 4.2: replicate the paper's models).

Models (catalog/superposition.py): ``tms-relu-n20-m5-sweep`` (n=20, m=5, importance 0.7^i, one
instance per sparsity S = 0 ... 0.999, the paper's "Basic Results" setting; 3000 steps where the
notebook trains 10k, to fit CI) and ``tms-pentagon-n5-m2`` (n=5, m=2, uniform importance, S = 0.95
and 0.97). A feature is "represented" when ``||W_i|| > 0.5`` (represented features have norm ~1,
the others ~0).

The replication tier (``-m replication``) runs the paper's own settings: the sweep trained the
notebook's 10k steps (``tms-relu-n20-m5-sweep-10k``) and the equal-importance n=400, m=30 sweep of
the "Feature Dimensionality" figure (``tms-relu-n400-m30-equal``).
"""
import pytest

from catalog.superposition import M
from harness import claim
from harness.tms import (
    dimensions_per_feature, feature_dimensionality, feature_norms, n_represented, nearest_sticky_fraction,
    polygon_angles,
)
from harness.tms.plots import plot_dimensionality_vs_sparsity, plot_feature_columns
from harness.tms.spec import TMSRun

#: The paper's named sticky values of D_i ("Feature Dimensionality" figure).
NAMED_STICKY = (1.0, 3 / 4, 2 / 3, 1 / 2, 2 / 5, 3 / 8)
STICKY_TOLERANCE = 0.03


DENSE = ("With no sparsity (S=0) the n=20, m=5 ReLU output model represents its m most important "
         "features (||W_i|| > 0.8) and ignores the rest (||W_i|| < 0.2)")


def check_dense_model(model: TMSRun, evidence):
    """Paper, "Basic Results" figure (ReLU output model, sparsity 0): the m most important features
    get orthogonal unit-norm directions, the others norm ~0. Tolerances ours: 0.8 / 0.2.
    Precondition (ours): trained out, the dense instance's training loss changing by < 5% over
    the last 1000 steps."""
    dense = model.instance(1.0)
    evidence.require("relative loss change over the last 1000 steps, S=0", model.loss_change(dense), "<", 0.05)
    norms = feature_norms(model.net.W[dense])
    evidence.note("feature norms", [round(v, 2) for v in norms.tolist()])
    evidence.expect("min norm of the 5 most important features", norms[:M].min(), ">", 0.8)
    evidence.expect("max norm of the other 15 features", norms[M:].max(), "<", 0.2)


@claim("4.2", DENSE, models=["tms-relu-n20-m5-sweep"], seeds=[0, 1, 2])
def test_dense_model_represents_m_features(model: TMSRun, evidence):
    """Thresholds and precondition: ``check_dense_model``. After 3000 steps the dense instance is
    not trained out on seeds 0 and 1 (loss still changing 8% and 28% over the last 1000 steps):
    inconclusive there; the 10k-step replication below settles it."""
    check_dense_model(model, evidence)


@pytest.mark.replication
@claim("4.2", DENSE + ", trained the notebook's 10k steps", models=["tms-relu-n20-m5-sweep-10k"], seeds=[0, 1, 2])
def test_dense_model_represents_m_features_after_10k_steps(model: TMSRun, evidence):
    """The notebook's training length. Thresholds and precondition: ``check_dense_model``."""
    check_dense_model(model, evidence)


@claim("4.2", "At high sparsity the n=20, m=5 ReLU output model represents more than m features "
       "(superposition) at S=0.9 and most of its n=20 features at S=0.999",
       models=["tms-relu-n20-m5-sweep"], seeds=[0, 1, 2])
def test_sparse_model_superposes_features(model: TMSRun, evidence, plot_dir, target):
    """Paper, "Basic Results" figure: as S grows more than m features are represented in
    superposition, nearly all of them at S=0.999. Thresholds: > m at S=0.9 (superposition),
    > n/2 at S=0.999 ("most", the hypothesis wording). The D_i-against-1/(1-S) plot is attached."""
    W = model.net.W.detach()
    counts = n_represented(W)
    evidence.note("features represented per S", model.by_sparsity(counts))
    evidence.expect("features represented at S=0.9", counts[model.instance(0.1)], ">", M)
    evidence.expect("features represented at S=0.999", counts[model.instance(0.001)], ">", 10)
    path = plot_dimensionality_vs_sparsity(feature_dimensionality(W), model.densities,
                                           plot_dir / f"tms-sweep-dimensionality-{target.id}.png",
                                           dims_per_feature=dimensions_per_feature(W))
    evidence.attach(f"D_i against 1/(1-S), n=20, m=5 ({target.id})", path)


def check_sticky(model: TMSRun, evidence, instances, shared_only: bool = False):
    """Paper, "Feature Dimensionality" figure (n=400, m=30, equal importance): D_i clusters at 1,
    3/4, 2/3, 1/2, 2/5, 3/8. Threshold ours, set before measuring: 70% of the represented
    features (norm > 0.5) of ``instances`` (an index into the instance axis) within 0.03 of one
    (values uniform on [0.3, 1] would fall in these bands ~42% of the time). ``shared_only``:
    count only features that share dimensions (D_i < 0.97), against the values below 1."""
    W = model.net.W.detach()[instances]
    D = feature_dimensionality(W)[feature_norms(W) > 0.5]
    named = NAMED_STICKY
    if shared_only:
        D, named = D[D < 1 - STICKY_TOLERANCE], NAMED_STICKY[1:]
    _, distance = nearest_sticky_fraction(D, named)
    evidence.note("D_i of represented features", sorted(round(v, 3) for v in D.tolist()))
    evidence.expect("fraction of D_i within 0.03 of a sticky value",
                    (distance <= STICKY_TOLERANCE).float().mean(), ">=", 0.7)


@claim("4.2", "With n=20, m=5 and importance 0.7^i (not the paper's equal-importance setting), the feature "
       "dimensionalities D_i of represented features at S >= 0.9 stick to the paper's named values "
       "(1, 3/4, 2/3, 1/2, 2/5, 3/8): at least 70% lie within 0.03 of one",
       models=["tms-relu-n20-m5-sweep"], seeds=[0, 1, 2])
def test_feature_dimensionality_is_sticky(model: TMSRun, evidence):
    """The paper's named values carried over to the decaying-importance sweep (deviation: the
    paper's figure has equal importance and n=400, m=30; see the replication claim below).
    Threshold: ``check_sticky``."""
    check_sticky(model, evidence, model.densities <= 0.1 + 1e-6)


@pytest.mark.replication
@claim("4.2", "In the paper's setting (n=400, m=30, equal importance, 10k steps) the feature dimensionalities "
       "D_i of represented features at S >= 0.9 stick to its named values: at least 70% within 0.03 of one",
       models=["tms-relu-n400-m30-equal"], seeds=[0, 1, 2],
       refuted="no D_i is within 0.03 of a named value on seeds 0-2 (fraction 0): at every S >= 0.9 each "
               "represented feature gets the same share D_i = m / #represented (S = 0.9: 131-135 features at "
               "0.22-0.24; S = 0.95: 204 at 0.15; S >= 0.99: all 400 at 0.075), below the smallest named "
               "value 3/8. The sticky values need lower sparsity: see the claim below")
def test_feature_dimensionality_is_sticky_in_the_papers_setting(model: TMSRun, evidence):
    """Threshold: ``check_sticky``."""
    check_sticky(model, evidence, model.densities <= 0.1 + 1e-6)


@pytest.mark.replication
@claim("4.2", "In the paper's setting (n=400, m=30, equal importance, 10k steps) at S = 0 ... 0.87, the "
       "feature dimensionalities D_i < 0.97 of represented features stick to the named values 3/4, 2/3, 1/2, "
       "2/5, 3/8: at least 70% within 0.03 of one", models=["tms-relu-n400-m30-equal-low-sparsity"],
       seeds=[0, 1, 2],
       refuted={"tms-relu-n400-m30-equal-low-sparsity-seed0": "seed 0: 0.58 of the 550 shared features within 0.03 "
                "of a named value: 216 at 1/2 (antipodal pairs), 85 at 2/5 or 3/8, 20 at 2/3, none at 3/4; 218 lie "
                "below 0.345 (0.22-0.34), where the paper names no value"})
def test_shared_feature_dimensionality_is_sticky_at_low_sparsity(model: TMSRun, evidence):
    """Written after the S >= 0.9 claim above was refuted, before this model was trained: the figure's
    sticky values sit at 1/(1-S) below 10. Features with a dimension of their own (D_i = 1) are left
    out, so the dense instances cannot carry the fraction. Threshold: ``check_sticky`` (same 70%)."""
    check_sticky(model, evidence, slice(None), shared_only=True)


@claim("4.2", "With n=5, m=2 and high sparsity (S = 0.95, 0.97) the five features form a regular "
       "pentagon: all five represented, every angle gap 72 +- 6 degrees, every D_i within 0.05 of 2/5",
       models=["tms-pentagon-n5-m2"], seeds=[0, 1, 2])
def test_pentagon(model: TMSRun, evidence, plot_dir, target):
    """Paper, introduction figure and "Superposition as a Phase Change" (5 features in 2 dimensions
    at high sparsity: a regular pentagon, D_i = 2/5 in the "Feature Dimensionality" section).
    Tolerances ours: 6 degrees (1/12 of a gap), 0.05 on D_i. The columns of W are plotted."""
    W = model.net.W.detach()
    for k, S in enumerate(model.labels()):
        gaps = polygon_angles(W[k])
        evidence.note(f"angle gaps {S}", [round(g, 1) for g in gaps.tolist()])
        evidence.expect(f"features represented {S}", n_represented(W[k]), "==", 5)
        evidence.expect(f"max |gap - 72| {S} (deg)", (gaps - 72).abs().max(), "<=", 6)
        evidence.expect(f"max |D_i - 2/5| {S}", (feature_dimensionality(W[k]) - 0.4).abs().max(), "<=", 0.05)
    path = plot_feature_columns(W, plot_dir / f"tms-pentagon-columns-{target.id}.png", titles=model.labels())
    evidence.attach(f"columns of W, n=5, m=2 ({target.id})", path)
