"""Getting rid of superposition (open problems 4.41, 4.42, 4.44, issue #18), measured where the
features are known: the absolute-value model of "Computation in Superposition" (20 sparse inputs
uniform on [-1, 1], ReLU outputs |x_i|; ``catalog.superposition``). One measure throughout (the
``neuron_rating`` fixture): a live neuron looks monosemantic when at least 80% of its 20 strongest
inputs share their largest feature, the automatic form of the SoLU paper's rating that 4.37 applies
to the language models (``claims/neurons/test_activation_superposition.py`` asks 4.41 and 4.42 of
them). Only instances at S >= 0.9 count: at density 1 an input's largest feature says little.

Every seed is ``slow``: each claim trains or fine-tunes models. Cold training per seed on 2 shared
cores (load 6-9): the GELU twin 11-30 s, ``tms-abs-n20-h20`` 11-28 s, ``tms-abs-n20-h500`` 92-158 s;
4.44's two 1000-step fine-tunings 9-15 s. The trained models reach the same per-instance losses
with ReLU and GELU neurons (0.002-0.066 by density).
"""

import pytest

from harness import claim
from harness.plain import plain

SEEDS = [0, 1, 2]
WIDEN = 10
WIDEN_NOISE = 0.1  # std of the copies' input-weight noise, in units of the input weights' std (our choice)
FINE_TUNE_STEPS = 1000  # a third of the model's own 3000 steps (our choice)


@pytest.mark.slow
@claim("4.41", "In the absolute-value toy, ReLU hidden neurons are more often monosemantic than GELU ones: the share "
       "of monosemantic live neurons (S >= 0.9) is larger for ReLU", models=["tms-abs-gelu-n20-m10"], seeds=SEEDS)
def test_relu_neurons_are_more_monosemantic_than_gelu(model, model_at_seed, neuron_rating, evidence):
    """Our own hypothesis and threshold (difference > 0), set before measuring: ReLU's hard zero
    keeps a neuron silent on the features it reads weakly, GELU's negative lobe does not.
    ``tms-abs-n20-m10`` (ReLU) against its twin with GELU neurons, same seed; otherwise the SoLU
    paper's comparison (Elhage et al. 2022, Sec. 5.2) with a known feature basis."""
    gelu, relu = neuron_rating(model), neuron_rating(model_at_seed("tms-abs-n20-m10"))
    evidence.note("ReLU / GELU ratings", plain([relu, gelu], 3))
    evidence.expect("ReLU - GELU share of monosemantic neurons",
                    relu["monosemantic share"] - gelu["monosemantic share"], ">", 0.0)


@pytest.mark.slow
@claim("4.42", "An absolute-value toy whose hidden layer is 100 x m wide (500 neurons) has most of its live neurons "
       "monosemantic, more than at 4 x m (20 neurons)", models=["tms-abs-n20-h500"], seeds=SEEDS,
       refuted={"tms-abs-n20-h500-seed2": "share monosemantic at 100 x m 0.4997 (not > 0.5; 4 x: 0.450); seeds 0 / 1 "
                "hold with 0.623 / 0.531 against 0.333 / 0.383: about half the wide layer's neurons stay mixed"})
def test_very_wide_layer_removes_superposition(model, model_at_seed, neuron_rating, evidence):
    """Our own hypothesis and thresholds (share at 100 x > 0.5; difference > 0), set before
    measuring. The problem's d_mlp = 100 d_model, on a toy with no residual stream: m = 5, the
    n = 20 models' bottleneck, stands for d_model (4 x: 20 neurons for 20 features, each of
    which needs two ReLUs for |x|; 100 x: 500). Same task, densities and training otherwise."""
    wide, narrow = neuron_rating(model), neuron_rating(model_at_seed("tms-abs-n20-h20"))
    evidence.note("100 x / 4 x ratings", plain([wide, narrow], 3))
    evidence.expect("share of monosemantic neurons at 100 x m", wide["monosemantic share"], ">", 0.5)
    evidence.expect("100 x - 4 x share of monosemantic neurons",
                    wide["monosemantic share"] - narrow["monosemantic share"], ">", 0.0)


@pytest.mark.slow
@claim("4.44", "Widening the trained absolute-value toy's hidden layer x10 (each neuron copied with noise) and "
       "fine-tuning it lowers superposition: a larger share of monosemantic live neurons than before, and than the "
       "same fine-tuning without widening", models=["tms-abs-n20-m10"], seeds=SEEDS,
       refuted={"tms-abs-n20-m10-seed1": "the monosemantic share fell 0.300 -> 0.260, though above the control's 0.167; "
                "seeds 0 / 2 rose 0.167 -> 0.270 / 0.267 -> 0.307, above their controls' 0.200 / 0.233"})
def test_widened_and_fine_tuned_layer_has_less_superposition(model, neuron_rating, evidence):
    """Our own hypothesis and threshold (after - before share > 0), set before measuring. The
    problem's recipe (``TMSRun.widened``): every neuron copied ``WIDEN`` times, input-weight noise
    ``WIDEN_NOISE`` x their std, output weights / ``WIDEN``, then ``FINE_TUNE_STEPS`` steps of the
    model's own training. Deviation: the toy is one MLP, so "freeze all but the MLP" freezes only
    its output bias. Changes after a review, after the first measurement: the control (the same
    fine-tuning without widening) was only noted, and is now compared too (after - control share
    > 0), so that the extra training alone cannot pass the claim; the count of features with a
    monosemantic neuron was an expectation and is now a note (10 neurons an instance before and
    in the control, 100 after: the widened model can name twice the features by construction)."""
    before = neuron_rating(model)
    after = neuron_rating(model, model.widened(WIDEN, WIDEN_NOISE, FINE_TUNE_STEPS))
    control = neuron_rating(model, model.widened(1, 0.0, FINE_TUNE_STEPS))
    evidence.note("before / after / control (fine-tuned, not widened)", plain([before, after, control], 3))
    for baseline, rating in (("before", before), ("control", control)):
        evidence.expect(f"after - {baseline} share of monosemantic neurons",
                        after["monosemantic share"] - rating["monosemantic share"], ">", 0.0)
