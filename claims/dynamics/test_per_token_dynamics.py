"""Per-token losses and attention patterns over training (seed problems 5.24 and 5.25), on the
induction circuit's formation (the ``formation`` fixture: ``toy-attn-2l``'s 40 checkpoints, every
25 of 1000 steps, measured on 64 held-out repeated sequences).

The seed problems ask this of the TransformerLens toy language models. Deviation: ``toy-attn-2l``
is trained on the induction task, not on text; the text-LM family trained here (issue #14,
``lm-attn-2l`` ...) is not trained on this machine (hours of CPU per member), and these claims
are to run on it once it is.
"""

from harness import claim
from harness.interp.heads import DETECTOR_THRESHOLD
from harness.interp.phase import fastest_change_step, progress_steps, steepest_change_step
from harness.interp.plots import line_plot
from harness.interp.reduction import principal_trajectory


@claim("5.24", "Per-token losses change fastest at the induction phase change: within 10% of training of the induction score's steepest rise",
       models=["toy-attn-2l"], seeds=[0, 1, 2])
def test_per_token_losses_change_fastest_at_the_phase_change(formation, evidence, target, plot_dir):
    """Olsson et al. 2022 (section "Argument 1", the per-token loss PCA figure) see the induction
    phase change as a kink in the trajectory of the per-token losses. Our sharpening, set before
    measuring: the interval between checkpoints in which the vector of per-token losses (64 x 40
    predictions) moves farthest per step lies within 100 steps (10% of training, 5.14's
    tolerance) of the induction score's steepest rise. Precondition: an induction head formed
    (final score > 0.4, the ARENA detector threshold)."""
    steps, losses = formation.steps, formation.token_losses
    coordinates, shares = principal_trajectory(losses, 2)
    evidence.attach("per-token losses on their top 2 principal components", line_plot(
        plot_dir / f"{target.id}-per-token-loss-pcs.png", steps, {"PC1": coordinates[:, 0], "PC2": coordinates[:, 1]},
        title=f"{target.id}: per-token losses over training", ylabel="coordinate"))
    evidence.note("variance explained by PC1, PC2", [round(share, 3) for share in shares])
    evidence.require("final max layer-1 induction score", formation.induction[-1], ">", DETECTOR_THRESHOLD)
    distance = abs(fastest_change_step(steps, losses) - steepest_change_step(steps, formation.induction))
    evidence.expect("distance from the induction score's steepest rise (steps)", distance, "<=", 0.1 * steps[-1])


@claim("5.25", "The previous-token head's attention pattern forms before the induction head's: it makes half its rise first",
       models=["toy-attn-2l"], seeds=[0, 1, 2],
       refuted="the previous-token score makes half its rise 47 / 47 / 45 steps (about two checkpoints) after the "
               "induction score on seeds 0 / 1 / 2: the layer-0 pattern sharpens after the induction head has formed")
def test_previous_token_pattern_forms_before_the_induction_pattern(formation, evidence, target, plot_dir):
    """Our own hypothesis, set before measuring: the induction head reads the previous-token
    head's output (K-composition), so the layer-0 previous-token score reaches half its rise at
    an earlier checkpoint than the layer-1 induction score (lead > 0 steps). Precondition: both
    heads formed (final scores > 0.4, the ARENA detector threshold)."""
    steps = formation.steps
    curves = {"max layer-0 previous-token score": formation.previous_token, "max layer-1 induction score": formation.induction}
    evidence.attach("attention scores over training", line_plot(plot_dir / f"{target.id}-attention-formation.png", steps, curves,
                    title=f"{target.id}: attention patterns over training", ylabel="score"))
    for name, curve in curves.items():
        evidence.require(f"final {name}", curve[-1], ">", DETECTOR_THRESHOLD)
    half = {name: float(progress_steps(steps, curve, [0.5])[0]) for name, curve in curves.items()}
    evidence.note("step at half the rise", half)
    evidence.expect("lead of the previous-token score (steps)", half["max layer-1 induction score"] - half["max layer-0 previous-token score"], ">", 0)
