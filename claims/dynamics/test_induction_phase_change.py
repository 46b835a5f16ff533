"""Is induction-head formation a phase change in a small transformer (seed problem 5.7: evidence
of Jermyn's multi-component S-curves "in more complex models")?

An induction head needs two components at once (a previous-token head in layer 0 and the
K-composing induction head in layer 1), so Jermyn & Shlegeris 2022 predict an S-curve, and
Olsson et al. 2022 (section "Argument 1", the phase-change figures) observe induction heads
forming abruptly in a narrow window of training. Model: ``toy-attn-2l``, 40 checkpoints (every 25
of 1000 steps). Measured: the max layer-1 induction score at each checkpoint.
"""

from harness import claim
from harness.claims.shared import expect_phase_transition
from harness.interp.heads import DETECTOR_THRESHOLD
from harness.interp.phase import change_window, progress_steps, steepest_change_step
from harness.interp.plots import line_plot


@claim("5.7", "In a 2-layer attention-only model the induction head forms as a phase change: a plateau, then an abrupt rise",
       models=["toy-attn-2l"], seeds=[0, 1, 2])
def test_induction_head_forms_abruptly(formation, evidence, target, plot_dir):
    """Thresholds, our own and set before measuring: onset ratio > 0.5 (the score stays near its
    start for more than half the time it takes to finish rising: an S-curve, as for Jermyn's
    two-component toy in test_s_curves.py), and a change-point p-value < 0.01 against a smooth
    curve. Precondition: an induction head formed (final score > 0.4, the ARENA detector
    threshold the induction claims use), and at least 4 checkpoints inside the rise (10% to 90%),
    without which it cannot be timed."""
    steps, scores = formation.steps, formation.induction
    evidence.attach("max layer-1 induction score", line_plot(plot_dir / f"{target.id}-induction-formation.png", steps,
                    {"max layer-1 induction score": scores}, title=f"{target.id}: induction score over training", ylabel="score"))
    evidence.note("80% change window (share of training)", change_window(steps, scores))
    evidence.require("final max layer-1 induction score", scores[-1], ">", DETECTOR_THRESHOLD)
    expect_phase_transition(evidence, steps, scores, "induction score")


@claim("5.12", "The induction circuit's K-composition is a progress measure: it makes half its rise before the induction score does",
       models=["toy-attn-2l"], seeds=[0, 1, 2],
       refuted="the composition score makes half its rise 27 / 21 / 19 steps (about one checkpoint) after the "
               "induction score on seeds 0 / 1 / 2: the two rise together, composition does not lead")
def test_k_composition_leads_the_induction_score(formation, evidence, target, plot_dir):
    """Our own hypothesis, set before measuring: the layer-1 head must first read the layer-0
    head's output through its keys (K-composition, a weight-based measure) before it can attend
    inductively, so the pair's composition score reaches 50% of its rise at an earlier
    checkpoint than the induction score (lead > 0 steps). The pair is the final model's
    (previous-token head, induction head)."""
    steps, composition = formation.steps, formation.circuit_k_composition
    evidence.attach("circuit K-composition and induction score", line_plot(
        plot_dir / f"{target.id}-composition-formation.png", steps,
        {"K-composition of the circuit pair": composition, "max layer-1 induction score": formation.induction},
        title=f"{target.id}: circuit over training", ylabel="score"))
    evidence.note("circuit", {"previous-token head": formation.circuit[0], "induction head": formation.circuit[1]})
    half_rise = {name: float(progress_steps(steps, curve, [0.5])[0])
                 for name, curve in (("composition", composition), ("induction", formation.induction))}
    evidence.note("step at half the rise", half_rise)
    evidence.expect("lead of K-composition over the induction score (steps)", half_rise["induction"] - half_rise["composition"], ">", 0)


@claim("5.13", "Which heads will compose can be read early: at the induction score's 10% point, the final circuit pair already has the top K-composition of all 16 pairs",
       models=["toy-attn-2l"], seeds=[0, 1, 2],
       refuted="at that checkpoint the final pair ranks 13th / 13th / 3rd of 16 by K-composition (seeds 0 / 1 / 2): "
               "the composing pair is not yet visible in the weights when the induction score starts to rise")
def test_composing_pair_is_predictable_early(formation, evidence):
    """Our own hypothesis, set before measuring: at the first checkpoint where the induction score
    has made 10% of its rise, the final (previous-token head, induction head) pair ranks first by
    K-composition among the 4 x 4 layer-0 -> layer-1 pairs (rank == 1)."""
    steps, scores = formation.steps, formation.induction
    early = next(i for i, step in enumerate(steps) if step >= progress_steps(steps, scores, [0.1])[0])
    (_, previous), (_, induction) = formation.circuit
    block = formation.k_composition[early]
    evidence.note("checkpoint step", steps[early])
    evidence.expect("rank of the final pair's K-composition at that step", int((block > block[previous, induction]).sum()) + 1, "==", 1)


@claim("5.14", "The circuit's K-composition develops as a phase transition, at the same time as the induction score",
       models=["toy-attn-2l"], seeds=[0, 1, 2])
def test_k_composition_is_a_phase_transition(formation, evidence):
    """Thresholds, our own and set before measuring, as for the induction score above: onset
    ratio > 0.5 and change-point p-value < 0.01; "at the same time": the steepest changes of the
    two curves lie within 100 steps (4 checkpoints, 10% of training) of each other."""
    steps, composition = formation.steps, formation.circuit_k_composition
    expect_phase_transition(evidence, steps, composition, "K-composition")
    gap = abs(steepest_change_step(steps, composition) - steepest_change_step(steps, formation.induction))
    evidence.expect("steps between the steepest changes of K-composition and induction score", gap, "<=", 100)
