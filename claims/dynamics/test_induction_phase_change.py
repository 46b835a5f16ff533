"""Is induction-head formation a phase change in a small transformer (seed problem 5.7: evidence
of Jermyn's multi-component S-curves "in more complex models")?

An induction head needs two components at once (a previous-token head in layer 0 and the
K-composing induction head in layer 1), so Jermyn & Shlegeris 2022 predict an S-curve, and
Olsson et al. 2022 (section "Argument 1", the phase-change figures) observe induction heads
forming abruptly in a narrow window of training. Model: ``toy-attn-2l``, 40 checkpoints (every 25
of 1000 steps). Measured: the max layer-1 induction score at each checkpoint.
"""

from harness import claim
from harness.interp.phase import change_point_p_value, change_window, onset_ratio
from harness.interp.plots import line_plot


@claim("5.7", "In a 2-layer attention-only model the induction head forms as a phase change: a plateau, then an abrupt rise",
       models=["toy-attn-2l"], seeds=[0, 1, 2])
def test_induction_head_forms_abruptly(induction_formation, evidence, target, plot_dir):
    """Thresholds, our own and set before measuring: onset ratio > 0.5 (the score stays near its
    start for more than half the time it takes to finish rising: an S-curve, as for Jermyn's
    two-component toy in test_s_curves.py), and a change-point p-value < 0.01 against a smooth
    curve. Precondition: an induction head formed (final score > 0.4, the ARENA detector
    threshold the induction claims use)."""
    steps, scores = induction_formation
    evidence.attach("max layer-1 induction score", line_plot(plot_dir / f"{target.id}-induction-formation.png", steps,
                    {"max layer-1 induction score": scores}, title=f"{target.id}: induction score over training", ylabel="score"))
    evidence.note("80% change window (share of training)", change_window(steps, scores))
    evidence.require("final max layer-1 induction score", scores[-1], ">", 0.4)
    evidence.expect("onset ratio of the induction score's rise", onset_ratio(steps, scores), ">", 0.5)
    evidence.expect("change-point p-value", change_point_p_value(steps, scores).p_value, "<", 0.01)
