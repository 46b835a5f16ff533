"""Do SoLU neurons form as a phase transition? (seed problem 5.23): the SoLU members of the family
trained here (``lm-solu-1l``, ``lm-solu-2l``; ``lm`` tier) over their training checkpoints (40
log-spaced and one every 1000 steps), on the probe windows of the ``neurons`` fixture
(``conftest.py``) of the claim's prompt draw. Since the family is not trained here (~92
CPU-hours), also on ``catalog.small_lm``'s tiny SoLU model (d_model 64, 512-token vocab, 1000 steps
on the stand-in corpus; 20 log-spaced checkpoints, one every 100 steps and one every 5 over steps
40-130, where its token neurons form) on seeds 0-2.
"""

from harness import claim
from harness.claims.shared import expect_phase_transition, prompt_seeds
from harness.interp.neurons import neuroscope_token_share
from harness.interp.plots import line_plot
from harness.models.metric_cache import over_checkpoints


@prompt_seeds()
@claim("5.23", "SoLU neurons form in a phase transition: the first MLP layer's mean Neuroscope token share (how often a "
       "neuron's commonest token recurs in its 20 max-activating contexts) rises as a plateau then an abrupt rise",
       models=["lm-solu-1l", "lm-solu-2l"])
def test_solu_neurons_form_as_a_phase_transition(checkpoints, neurons, evidence, target, plot_dir):
    """Thresholds as for the other dynamics claims (``claims/dynamics``, 5.7: our own, set before
    measuring there): onset ratio > 0.5 and change-point p-value < 0.01. The curve: the mean over
    layer-0 neurons of ``neuroscope_token_share`` at each checkpoint (the token neurons of 1.6,
    read continuously). Precondition: at least 4 checkpoints inside the rise (10%-90%)."""
    expect_token_share_phase_transition(checkpoints, neurons, evidence, target, plot_dir)


@prompt_seeds(seeds=(0,), fast=None)  # trains in ~20 s cold
@claim("5.23", "SoLU neurons form in a phase transition (as above) in a small 1-layer SoLU model trained here",
       models=["lm-small-solu-1l"], seeds=[0, 1, 2],
       refuted={"lm-small-solu-1l-seed0": "onset ratio 0.38 < 0.5 (15 checkpoints inside the rise, change-point "
                                        "p-value 0.001; prompt draw 0): a rise without a plateau",
                "lm-small-solu-1l-seed2": "onset ratio 0.21 < 0.5 (22 checkpoints inside the rise, change-point "
                                        "p-value 0.005; prompt draw 0); seed 1 holds, by 0.002 (onset ratio 0.502)"})
def test_small_solu_neurons_form_as_a_phase_transition(checkpoints, neurons, evidence, target, plot_dir):
    """As above (same thresholds, set before measuring), on the tiny SoLU model over its 45
    checkpoints instead of the family's."""
    expect_token_share_phase_transition(checkpoints, neurons, evidence, target, plot_dir)


def expect_token_share_phase_transition(checkpoints, neurons, evidence, target, plot_dir) -> None:
    """The 5.23 measurement: the mean layer-0 Neuroscope token share at each checkpoint, plotted
    and tested by ``expect_phase_transition``."""
    steps = list(checkpoints)
    shares = over_checkpoints(checkpoints, "mean layer-0 Neuroscope token share",
                              lambda m: float(neuroscope_token_share(m, neurons.windows[0]).mean()), neurons.windows[0])
    evidence.attach("mean Neuroscope token share over training", line_plot(
        plot_dir / f"{target.id}-neuron-formation.png", steps, {"layer 0": shares},
        title=f"{target.id}: token neurons over training", ylabel="mean top-token share"))
    expect_phase_transition(evidence, steps, shares, "token share")
