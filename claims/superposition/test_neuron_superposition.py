"""Computation in superposition (Elhage et al. 2022, section "Computation in Superposition"):
models with a privileged ReLU hidden layer computing a function of sparse inputs (4.2, 4.3, 4.5,
4.6, 4.13, 4.14).

An output is "computed" when its R² on a fresh batch of the training distribution exceeds 0.5
(the model explains most of its variance). A ReLU neuron can compute at most one such function
exactly on its own (|x| even needs two: ReLU(x) + ReLU(-x)), so computing more functions than the
no-superposition bound stated per claim requires neurons to be shared: neuron superposition.
"""
import torch

from catalog.superposition import ABS_NEURONS, PAIR_NEURONS
from harness import claim
from harness.tms import neuron_monosemanticity
from harness.tms.spec import TMSRun

R2_COMPUTED = 0.5


def computed_outputs(model: TMSRun, evidence):
    """Number of outputs with R² > 0.5 per instance (``[instances]``), noted in the report."""
    counts = (model.computed_r2() > R2_COMPUTED).sum(-1)
    evidence.note("outputs computed (R² > 0.5)", model.by_sparsity(counts))
    return counts


@claim("4.2", "The absolute-value model (20 inputs, 10 ReLU neurons) has monosemantic neurons without "
       "sparsity (mean monosemanticity > 0.9) and computes |x| for more than 10/2 = 5 features at S=0.99",
       models=["tms-abs-n20-m10"], seeds=[0, 1, 2])
def test_absolute_value_model(model: TMSRun, evidence):
    """Paper, "Computation in Superposition" (absolute-value model): dense inputs give one feature
    per neuron pair (monosemantic), sparse inputs give polysemantic neurons computing more features
    than m/2. Monosemanticity: max_f |W_in[n, f]| / ||W_in[n]|| (1 = one input; 0.71 = two equal).
    Thresholds ours: 0.9 mean; > m/2 = 5 outputs (each |x| needs two ReLU neurons)."""
    mono = neuron_monosemanticity(model.net.W_in.detach()).mean(-1)
    counts = computed_outputs(model, evidence)
    evidence.note("mean neuron monosemanticity", model.by_sparsity(mono))
    evidence.expect("mean neuron monosemanticity at S=0", mono[model.instance(1.0)], ">", 0.9)
    evidence.expect("features with |x| computed at S=0.99", counts[model.instance(0.01)], ">", ABS_NEURONS // 2)


@claim("4.3", "Trained on x -> x^2, the absolute-value model also computes more than 10/2 = 5 features "
       "at S=0.99 (neuron superposition)", models=["tms-square-n20-m10"], seeds=[0, 1, 2])
def test_square_model_superposes(model: TMSRun, evidence):
    """Hypothesis of 4.3 (neuron superposition for x^2). x^2 is even, so like |x| it needs at least
    two ReLU neurons per feature; > 5 computed outputs with 10 neurons needs shared neurons."""
    mono = neuron_monosemanticity(model.net.W_in.detach()).mean(-1)
    evidence.note("mean neuron monosemanticity", model.by_sparsity(mono))
    counts = computed_outputs(model, evidence)
    evidence.expect("features with x^2 computed at S=0.99", counts[model.instance(0.01)], ">", ABS_NEURONS // 2)


@claim("4.5", "On binary inputs, a 5-neuron model computes the AND of more than 5 of 10 input pairs "
       "at some sparsity", models=["tms-and-n20-m5"], seeds=[0, 1, 2],
       refuted="at most one AND per neuron: the best sparsity computes 5, 5, 4 of 10 ANDs (seeds 0-2) "
               "with 5 neurons; sparser inputs compute fewer (0-3 at density .05)")
def test_and_in_superposition(model: TMSRun, evidence):
    """Hypothesis of 4.5: at some density of .5, .2, .1, .05 the model computes more of its 10
    AND outputs than it has neurons (5); AND(a, b) = ReLU(a + b - 1) takes one neuron per pair
    otherwise. Threshold: > 5 outputs with R² > 0.5."""
    evidence.expect("max over sparsities of outputs computed", computed_outputs(model, evidence).max(), ">",
                    PAIR_NEURONS)


@claim("4.5", "On binary inputs, a 5-neuron model computes the OR of more than 5 of 10 input pairs "
       "at some sparsity", models=["tms-or-n20-m5"], seeds=[0, 1, 2],
       refuted="exactly one OR per neuron: the best sparsity computes 5 of 10 ORs on every seed")
def test_or_in_superposition(model: TMSRun, evidence):
    """Hypothesis of 4.5: as for AND; OR(a, b) = a + b - ReLU(a + b - 1) takes one neuron per pair
    (ReLU(a + b) when the pair is never both on). Threshold: > 5 outputs with R² > 0.5."""
    evidence.expect("max over sparsities of outputs computed", computed_outputs(model, evidence).max(), ">",
                    PAIR_NEURONS)


@claim("4.6", "On U[0, 1] inputs, a 5-neuron model computes max(x, y) of more than 5 of 10 input pairs "
       "at some sparsity", models=["tms-max-n20-m5"], seeds=[0, 1, 2],
       refuted={"tms-max-n20-m5-seed0": "seed 0: at most 5 of 10 max outputs computed (density .1)",
                "tms-max-n20-m5-seed2": "seed 2: at most 5 of 10 max outputs computed (densities .5, .1)"})
def test_max_in_superposition(model: TMSRun, evidence):
    """Hypothesis of 4.6: as for AND; max(a, b) = ReLU(a) + ReLU(b - a) takes at least one neuron
    per pair (ReLU(a + b) when at most one is on). Threshold: > 5 outputs with R² > 0.5."""
    evidence.expect("max over sparsities of outputs computed", computed_outputs(model, evidence).max(), ">",
                    PAIR_NEURONS)


@claim("4.13", "A model with 20 hidden features |x_i| but only 2 outputs (sums of |x_i| over each half) "
       "computes |x_i| for more inputs than it has neurons (6) at S=0.99",
       models=["tms-group-abs-sum-n20-m6"], seeds=[0, 1, 2])
def test_many_hidden_features_few_outputs(model: TMSRun, evidence):
    """Hypothesis of 4.13 (neuron superposition with many more hidden features than outputs). Input
    i counts as computed when, with only x_i active (values -1..1), the outputs match the target
    with R² > 0.5 (:meth:`TMSRun.single_input_r2`). Threshold: > 6 = number of neurons
    (without superposition two neurons per |x_i| would allow 3)."""
    r2 = model.single_input_r2()
    counts = (r2 > R2_COMPUTED).sum(-1)
    evidence.note("inputs computed in isolation", model.by_sparsity(counts))
    evidence.expect("inputs computed at S=0.99", counts[model.instance(0.01)], ">", 6)


@claim("4.14", "A model with two hidden ReLU layers of 8 neurons computes max(|x|, |y|) for more than "
       "8/4 = 2 of 10 input pairs at S=0.99 (computation in superposition across layers)",
       models=["tms-maxabs-2layer-n20-m8"], seeds=[0, 1, 2])
def test_two_layer_max_abs(model: TMSRun, evidence):
    """Hypothesis of 4.14. Without superposition layer 1 needs four neurons per pair (ReLU(+-x),
    ReLU(+-y)) so 8 neurons serve 2 pairs; more than 2 computed pairs (R² > 0.5) need shared
    neurons. Threshold: > 2."""
    layer_weights = (model.net.W_in.detach(), model.net.W_hidden.detach()[0])
    mono = torch.stack([neuron_monosemanticity(W).mean(-1) for W in layer_weights], -1)
    evidence.note("mean neuron monosemanticity [layer 1, layer 2]", model.by_sparsity(mono))
    evidence.expect("pairs computed at S=0.99", computed_outputs(model, evidence)[model.instance(0.01)], ">", 2)
