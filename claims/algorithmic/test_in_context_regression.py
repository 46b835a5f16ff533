"""In-context regression (3.13 / 3.14; Garg et al. 2022, "What can transformers learn
in-context?"): 2-layer transformers read ``x_1 y_1 .. x_8 y_8`` with one function per prompt
and predict every ``y_i`` from the ``k = i - 1`` pairs before it (catalog/in_context_regression.py:
integer tokens, ``D = 1``, the deviations from Garg et al. named there). ``icl-linear-2l`` is
trained on linear functions ``y = w x`` (w in -2..2), ``icl-stump-2l`` on stumps ``y = a if x > 0
else b``. Errors: mean squared error of the model's mean prediction against Garg et al.'s
baselines (least squares, 3-nearest neighbours, averaging) on 512 fresh prompts (seed 1000)."""

from catalog.in_context_regression import N_PAIRS, regression_errors, regression_model
from harness import claim
from harness.claims.shared import per_target
from harness.plain import plain

SEEDS = [0, 1, 2]
EVAL_SEED = 1000
LAST = N_PAIRS - 1  # the most in-context examples: k = 7
LINEAR, STUMP = regression_model("linear"), regression_model("stump")


def gap_to_nearest_neighbours(errors) -> float:
    """The model's error minus 3-nearest neighbours' with the most examples (k = 7)."""
    return float(errors["model"][LAST] - errors["3-nearest neighbours"][LAST])


@per_target
def linear_errors(model):
    """``regression_errors`` on linear prompts."""
    return regression_errors(model, "linear", EVAL_SEED)


@per_target
def stump_errors(model):
    """``regression_errors`` on stump prompts."""
    return regression_errors(model, "stump", EVAL_SEED)


@claim("3.13", "A transformer trained on linear functions learns them in context: its error with 7 examples is below 10% of its error with none",
       models=[LINEAR], seeds=SEEDS)
def test_linear_error_falls_with_examples(linear_errors, evidence):
    """Garg et al. Fig. 2: the error falls towards 0 as examples are added (noiseless, k >= d).
    Threshold 10% of the k = 0 error (the prior variance, 4) (ours)."""
    evidence.note("squared error by k", plain(linear_errors, 3))
    evidence.expect("error at k = 7 / error at k = 0", linear_errors["model"][LAST] / linear_errors["model"][0], "<", 0.1)


@claim("3.13", "The model tracks least squares: with 1 to 7 examples its error is below both 3-nearest neighbours' and averaging's at every k",
       models=[LINEAR], seeds=SEEDS)
def test_linear_beats_nearest_neighbours_and_averaging(linear_errors, evidence):
    """Garg et al. Fig. 2: the transformer's error follows least squares and is far below
    3-nearest neighbours and averaging at every number of examples. Threshold: the largest
    ratio of the model's error to the better of the two baselines over k = 1..7 below 1."""
    baseline = linear_errors["3-nearest neighbours"].minimum(linear_errors["averaging"])
    ratio = (linear_errors["model"][1:] / baseline[1:])
    evidence.expect("max over k of model error / best of 3-NN and averaging", ratio.max(), "<", 1, per_example=ratio)


@claim("3.13", "Once an example fixes w the model is near least squares' zero error: error < 0.1 from k = 3 on",
       models=[LINEAR], seeds=SEEDS)
def test_linear_near_least_squares(linear_errors, evidence):
    """With D = 1 and no noise, least squares is exact once some earlier x != 0 (probability
    1 - (1/5)^k): its error at k = 3 is ~0.03. Threshold 0.1 (ours, 2.5% of the prior variance),
    the largest model error over k = 3..7."""
    evidence.note("least-squares error at k = 3..7", linear_errors["least squares"][3:].tolist())
    evidence.expect("max model error over k = 3..7", linear_errors["model"][3:].max(), "<", 0.1)


@claim("3.14", "Stumps (depth-1 decision trees) are learned in context too: with 7 examples the stump model's error is below 3-nearest neighbours'",
       models=[STUMP], seeds=SEEDS)
def test_stumps_are_learned_in_context(stump_errors, evidence):
    """Garg et al. Fig. 4: a transformer trained on decision trees beats the greedy-tree and
    nearest-neighbour learners. Threshold: below 3-NN at k = 7 (our baseline: no tree learner here)."""
    evidence.note("squared error by k", plain(stump_errors, 3))
    evidence.expect("model error - 3-NN error at k = 7", gap_to_nearest_neighbours(stump_errors), "<", 0)


@claim("3.14", "In-context learning stays within the trained class: the linear model on stump prompts is worse than 3-nearest neighbours with 7 examples",
       models=[LINEAR], seeds=SEEDS)
def test_linear_model_does_not_learn_stumps(stump_errors, evidence):
    """Hypothesis (ours, set before measuring): the linear model fits a line to any prompt, so
    on stumps it does worse than a class-agnostic learner. Threshold: above 3-NN at k = 7."""
    evidence.note("squared error by k", plain(stump_errors, 3))
    evidence.expect("model error - 3-NN error at k = 7", gap_to_nearest_neighbours(stump_errors), ">", 0)
