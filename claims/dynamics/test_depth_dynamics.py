"""The induction phase change across depths (seed problem 5.22: across the toy language models'
checkpoints). Olsson et al. 2022 (section "Argument 1", the phase-change figures) find that every
attention-only model with more than one layer forms induction heads in one abrupt phase change,
at about the same point of training whatever its depth.

Deviation: the induction toys ``toy-attn-2l`` / ``toy-attn-3l`` (1000 steps on the induction task,
a checkpoint every 25 steps; every 10 for 3 layers, whose rise is ~100 steps wide), not the
paper's text models; the text-LM family trained here (issue #14, ``lm-attn-2l`` ...) is not
trained on this machine, and these claims are to run on it once it is.
"""

from harness import claim
from harness.claims.shared import expect_phase_transition
from harness.interp.heads import DETECTOR_THRESHOLD
from harness.interp.phase import steepest_change_step
from harness.interp.plots import line_plot


@claim("5.22", "A 3-layer attention-only model also forms its induction head as a phase change: a plateau, then an abrupt rise",
       models=["toy-attn-3l"], seeds=[0, 1, 2])
def test_three_layer_model_has_the_phase_change(formation, evidence):
    """Olsson et al. 2022 (above). Thresholds as for the 2-layer model (5.7, our own, set before
    measuring there): onset ratio > 0.5 and change-point p-value < 0.01. Preconditions: a
    layer-1 induction head formed (final score > 0.4, ARENA's detector threshold) and at least 4
    checkpoints inside the rise."""
    steps, scores = formation.steps, formation.induction
    evidence.require("final max layer-1 induction score", scores[-1], ">", DETECTOR_THRESHOLD)
    expect_phase_transition(evidence, steps, scores, "induction score")


@claim("5.22", "The induction phase change comes at the same point of training at 2 and 3 layers: within 10% of training",
       models=["toy-attn-3l"], seeds=[0, 1, 2])
def test_phase_change_comes_at_the_same_point_whatever_the_depth(formation, formation_at_seed, evidence, target, plot_dir):
    """Olsson et al. 2022 (above): the phase change sits at the same point of training across
    depths. Threshold, our own reading set before measuring: the steepest rises of the 2- and
    3-layer models' induction scores (same seed, same data order) lie within 100 steps (10% of
    training, 5.14's tolerance). Precondition: both formed an induction head."""
    two = formation_at_seed("toy-attn-2l")
    runs = {"3 layers": formation, "2 layers": two}  # checkpoints every 10 and every 25 steps
    for depth, run in runs.items():
        evidence.attach(f"max layer-1 induction score, {depth}", line_plot(
            plot_dir / f"{target.id}-induction-{depth.replace(' ', '-')}.png", run.steps, {depth: run.induction},
            title=f"induction score over training, {depth}, seed {target.seed}", ylabel="score"))
        evidence.require(f"final max layer-1 induction score, {depth}", run.induction[-1], ">", DETECTOR_THRESHOLD)
    steepest = {depth: steepest_change_step(run.steps, run.induction) for depth, run in runs.items()}
    evidence.note("step of the steepest rise", steepest)
    evidence.expect("distance between the steepest rises (steps)", abs(steepest["3 layers"] - steepest["2 layers"]), "<=",
                    0.1 * formation.steps[-1])
