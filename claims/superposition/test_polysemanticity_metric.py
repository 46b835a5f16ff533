"""A better polysemanticity metric (open problem 4.38, issue #18), validated where superposition is
known: the absolute-value model of "Computation in Superposition" (``tms-abs-n20-m10``: 20 inputs,
10 ReLU neurons, densities 1, .1, .03, .01), whose neurons' input weights say how many features
each reads.

The metric reads activations only, so it applies to a language model's neurons as well
(``harness.interp.neurons.effective_classes``): exp(entropy) of the classes of a neuron's 20
strongest examples. Here an example's class is its largest input (|x_i|), a language model's the
token class. The SoLU paper's rating, reduced to an automatic form, is the share of the top
examples in the most common class (``top_class_purity``, as claims 1.7 and 4.37).
"""

import torch
from scipy.stats import spearmanr

from harness import claim
from harness.interp.neurons import effective_classes, top_class_purity
from harness.tms import neuron_monosemanticity
from harness.tms.spec import TMSRun

SEEDS = [0, 1, 2]
TOP = 20


def rated_neurons(model: TMSRun) -> dict[str, torch.Tensor]:
    """{"effective classes", "purity", "weights"}: [live neurons] over all instances, on 4096
    inputs of each instance's training distribution; "weights" is the ground truth
    ``neuron_monosemanticity`` of W_in. A neuron is live when its ``TOP``-th largest activation
    is positive (a dead neuron's top examples are ties)."""
    x = model.eval_batch(4096)[0]
    with torch.no_grad():
        acts = model.net.hidden_activations(x)[0].cpu()  # [batch, instances, neurons]
    classes = x.abs().argmax(-1).cpu()  # [batch, instances]
    live = acts.topk(TOP, dim=0).values[-1] > 0  # [instances, neurons]
    ratings = {name: torch.stack([rate(acts[:, i], classes[:, i], TOP) for i in range(acts.shape[1])])
               for name, rate in (("effective classes", effective_classes), ("purity", top_class_purity))}
    ratings["weights"] = neuron_monosemanticity(model.net.W_in.detach().cpu())
    return {name: rating[live] for name, rating in ratings.items()}


@claim("4.38", "An activation-only polysemanticity metric (exp entropy of the classes of a neuron's top-20 "
       "examples) recovers the known superposition of the absolute-value toy: Spearman rho with the weights' "
       "monosemanticity below -0.6 over its live neurons, and at least as strong as the top-class purity's",
       models=["tms-abs-n20-m10"], seeds=SEEDS,
       refuted="the entropy tracks the weights more weakly than purity does: Spearman rho -0.394 / -0.317 / -0.286 "
               "(seeds 0-2, 40 live neurons each) against purity's 0.682 / 0.479 / 0.483")
def test_effective_classes_track_known_superposition(model: TMSRun, evidence):
    """Our own metric and thresholds (rho < -0.6; |rho| no weaker than purity's), set before
    measuring. Ground truth: max_f |W_in[n, f]| / ||W_in[n]|| (1 = the neuron reads one input;
    the 4.2 claims' measure), over the 10 neurons of the four density instances, dense
    (monosemantic) to sparse (superposed)."""
    rated = rated_neurons(model)
    evidence.note("live neurons", len(rated["weights"]))
    rho = spearmanr(rated["effective classes"], rated["weights"]).statistic
    purity_rho = spearmanr(rated["purity"], rated["weights"]).statistic
    evidence.note("Spearman rho of purity with the weights", round(float(purity_rho), 3))
    evidence.expect("Spearman rho of effective classes with the weights", rho, "<", -0.6)
    evidence.expect("|rho| effective classes - |rho| purity", abs(rho) - abs(purity_rho), ">=", 0.0)
