"""Toy-model counterexamples to common MI assumptions (open problems 4.18 and 4.20).

4.17 (a learned non-linear representation) and 4.19 (a non-decomposable network) have no claim:
we have no honest, measurable construction for them in these toy models yet.
"""
from harness import claim
from harness.tms import feature_norms, represented_sets
from harness.tms.spec import TMSRun


@claim("4.18", "The n=20, m=5 sparsity sweep has no discrete number of features: at some sparsity a "
       "feature is half-represented (0.3 < ||W_i|| < 0.7)",
       models=["tms-relu-n20-m5-sweep"], seeds=[0, 1, 2])
def test_features_are_not_discrete(model: TMSRun, evidence):
    """Counterexample for 4.18: "number of features" assumes each feature is either in the model
    or not. Between the sticky configurations of the paper's phase diagram a feature can sit at
    an intermediate norm. Threshold (hypothesis wording): at least one feature norm in (0.3, 0.7)
    over the sweep's instances."""
    norms = feature_norms(model.net.W.detach())
    middle = (norms > 0.3) & (norms < 0.7)
    evidence.note("half-represented features per sparsity", model.by_sparsity(middle.sum(-1)))
    evidence.expect("half-represented features over the sweep", middle.sum(), ">=", 1)


@claim("4.20", "Dense autoencoding of 20 equally important features through m=5 dimensions has several "
       "learnable feature sets: six initialisations represent at least 2 different sets of features",
       models=["tms-relu-n20-m5-uniform-dense"], seeds=[0, 1, 2],
       refuted="no crisp feature sets to choose between: the six instances differ (6 distinct sets of "
               "6-11 features with norm > 0.5) but 90-95% of all feature norms lie in (0.2, 0.8): "
               "with equal importance and dense inputs the model smears every feature over the m "
               "dimensions (a PCA-like subspace) instead of selecting m of them")
def test_several_feature_sets(model: TMSRun, evidence):
    """Counterexample for 4.20: with uniform importance any m of the n features are an equally good
    choice, so which features a model learns depends on its initialisation. Thresholds (ours):
    >= 2 distinct represented sets (||W_i|| > 0.5) among the 6 instances, and the sets are crisp:
    at most 10% of the feature norms in (0.2, 0.8)."""
    W = model.net.W.detach()
    sets = represented_sets(W)
    norms = feature_norms(W)
    evidence.note("represented sets", [sorted(s) for s in sets])
    evidence.expect("distinct represented sets", len(set(sets)), ">=", 2)
    evidence.expect("fraction of ambiguous norms", ((norms > 0.2) & (norms < 0.8)).float().mean(), "<=", 0.1)
