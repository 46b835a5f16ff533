"""Multi-component learning and S-curves (seed problems 5.7 and 5.8).

Jermyn & Shlegeris 2022 ("Multi-Component Learning and S-Curves"): a task that needs several
components at once (a rank-1 target ``a b^T`` learned as an outer product) plateaus, then drops
suddenly; a task of one component (every entry learned directly) converges exponentially from
the start. Models: ``catalog/phase_change.py``, plain gradient descent as in the post.

The measure is ``onset_ratio`` of the loss curve: (step at 10% of the loss drop) / (step at 90%).
An exponential approach gives log(1/0.9) / log(10) = 0.046 whatever its rate, a straight line
0.11, a plateau followed by a sudden drop close to 1.
"""

from harness import claim
from harness.interp.phase import change_point_p_value, onset_ratio, points_within_change
from harness.interp.plots import line_plot

SEEDS = [0, 1, 2]
S_CURVE = 0.5  # the plateau lasts longer than half the time to finish the drop
NO_PLATEAU = 0.2  # within 2x a straight line's ratio, far below an S-curve's


def measure_onset(loss_curve, evidence, target, plot_dir, op, threshold):
    steps, losses = loss_curve
    evidence.note("change-point p-value (one step against a smooth fit)", change_point_p_value(steps, losses).p_value)
    evidence.attach("training loss", line_plot(plot_dir / f"{target.id}-loss.png", steps, {"loss": losses},
                                               title=f"{target.id}: training loss", ylabel="loss", log_y=True))
    evidence.require("loss drop (final / initial)", losses[-1] / losses[0], "<", 0.01)
    evidence.require("logged steps inside the drop (10%-90%)", points_within_change(steps, losses), ">=", 4)
    evidence.expect("onset ratio of the loss drop", onset_ratio(steps, losses), op, threshold)


@claim("5.7", "Jermyn's toy: a rank-1 target learned as an outer product of two components plateaus, then drops (an S-curve)",
       models=["s-curve-rank1"], seeds=SEEDS)
def test_two_components_learn_in_an_s_curve(loss_curve, evidence, target, plot_dir):
    """Threshold: onset ratio > 0.5, our own reading of the post's S-curve ("the loss plateaus
    for an extended period before suddenly dropping"), set before measuring. Precondition: the
    loss fell below 1% of its start (otherwise there is no drop to time), and at least 4 logged steps
    lie inside the drop (10% to 90%), without which it cannot be timed."""
    measure_onset(loss_curve, evidence, target, plot_dir, ">", S_CURVE)


@claim("5.7", "Jermyn's toy, one component: the same target learned entry by entry converges at once, without a plateau",
       models=["s-curve-direct"], seeds=SEEDS)
def test_one_component_learns_without_a_plateau(loss_curve, evidence, target, plot_dir):
    """Threshold: onset ratio < 0.2; the post derives exponential convergence (ratio 0.046) for
    a single component. Our threshold, set before measuring."""
    measure_onset(loss_curve, evidence, target, plot_dir, "<", NO_PLATEAU)


@claim("5.8", "With a learned identity path beside the two components (a residual stream's direct path), the S-curve remains",
       models=["s-curve-rank1+skip"], seeds=SEEDS)
def test_skip_path_keeps_the_s_curve(loss_curve, evidence, target, plot_dir):
    """Our own hypothesis, set before measuring: a gain on the identity cannot express a rank-1
    target off the identity, so the two components still have to grow together: onset ratio
    > 0.5 as for the plain outer product."""
    measure_onset(loss_curve, evidence, target, plot_dir, ">", S_CURVE)


@claim("5.8", "Normalising the product (as LayerNorm would) with a learned gain removes the plateau",
       models=["s-curve-rank1-normalised"], seeds=SEEDS)
def test_normalised_product_has_no_plateau(loss_curve, evidence, target, plot_dir):
    """Our own hypothesis, set before measuring: normalisation makes the output's direction
    independent of the components' small scale, so the gradient on the direction is not small
    at initialisation and learning starts at once: onset ratio < 0.2."""
    measure_onset(loss_curve, evidence, target, plot_dir, "<", NO_PLATEAU)
