"""Phase transitions in algorithmic tasks (seed problems 5.26-5.29), over the training checkpoints
of models trained here: toy IOI (``toy-ioi-2l``/``3l``, a checkpoint every 50 of 2000 steps, and every 5
over steps 80-200, where the S-inhibition head forms within 30-40 steps) and
variable-length sorting (``sort-variable-2l``, every 75 of 3000, and 120 log-spaced). Seeds 1 and 2 are slow.

"A phase transition" is measured with ``harness.interp.phase``: onset ratio (step at 10% of the
change / step at 90%) > 0.5, i.e. a plateau longer than half the time to finish the change; 5.26 also
requires a change-point p-value < 0.01 against a smooth curve (the other claims note none). Both thresholds are our own, set before
measuring, the same as for the induction head in test_induction_phase_change.py. Precondition:
at least ``RESOLVED`` checkpoints lie inside the change (10% to 90%); a change that happened
between two checkpoints cannot be timed (inconclusive). The models keep log-spaced checkpoints
besides the regular ones (30; 120 for sorting, whose lengths are learned within steps 50-200), so
that a change in the first hundred steps is resolved too.
"""

from harness import claim
from harness.interp.phase import change_point_p_value, onset_ratio, points_within_change, steepest_change_step
from harness.interp.plots import line_plot

SEEDS = [0, 1, 2]
SUDDEN = 0.5
RESOLVED = 4


def require_resolved(evidence, steps, curves: dict):
    evidence.require("fewest checkpoints inside a change (10%-90%)",
                     min(points_within_change(steps, curve) for curve in curves.values()), ">=", RESOLVED)


@claim("5.26", "Toy IOI accuracy rises as a phase transition (a plateau, then an abrupt rise)",
       models=["toy-ioi-2l", "toy-ioi-3l"], seeds=SEEDS,
       refuted="no plateau: onset ratio 0.27 / 0.20 / 0.15 (2l) and 0.14 / 0.21 / 0.15 (3l), seeds 0 / 1 / 2, "
               "with 14-22 checkpoints inside the rise; the rise does have a change point (p = 0.001) but "
               "starts at once")
def test_toy_ioi_accuracy_is_a_phase_transition(toy_ioi_formation, evidence, target, plot_dir):
    """5.26 notes IOI "might not have a phase change"; our hypothesis is that it does. Thresholds in
    the module docstring."""
    steps, accuracy = toy_ioi_formation.steps, toy_ioi_formation.accuracy
    evidence.attach("IO accuracy", line_plot(plot_dir / f"{target.id}-ioi-accuracy.png", steps, {"IO accuracy": accuracy},
                                             title=f"{target.id}: toy IOI accuracy over training", ylabel="accuracy"))
    require_resolved(evidence, steps, {"accuracy": accuracy})
    evidence.expect("onset ratio of the accuracy's rise", onset_ratio(steps, accuracy), ">", SUDDEN)
    evidence.expect("change-point p-value", change_point_p_value(steps, accuracy).p_value, "<", 0.01)


@claim("5.27", "The name mover's direct logit attribution (IO - S) rises as a phase transition, together with the accuracy",
       models=["toy-ioi-2l", "toy-ioi-3l"], seeds=SEEDS,
       refuted="the DLA rises from the start: onset ratio 0.10 / 0.13 / 0.10 (2l) and 0.11 / 0.10 / 0.10 (3l), "
               "seeds 0 / 1 / 2, with 36-45 checkpoints inside the rise; its steepest change is within "
               "10-62 steps of the accuracy's (that part holds)")
def test_name_mover_dla_is_a_phase_transition(toy_ioi_formation, evidence):
    """The name mover is the final model's head attending most from TO to IO. Thresholds: onset
    ratio > 0.5 (module docstring) and steepest changes of DLA and accuracy within 200 steps (10%
    of training) of each other; our own, set before measuring."""
    steps, dla = toy_ioi_formation.steps, toy_ioi_formation.name_mover_dla
    evidence.note("name mover", toy_ioi_formation.heads["name mover (TO -> IO)"])
    require_resolved(evidence, steps, {"DLA": dla})
    evidence.expect("onset ratio of the name mover's DLA", onset_ratio(steps, dla), ">", SUDDEN)
    gap = abs(steepest_change_step(steps, dla) - steepest_change_step(steps, toy_ioi_formation.accuracy))
    evidence.expect("steps between the steepest changes of DLA and accuracy", gap, "<=", 200)


@claim("5.28", "Each IOI head category's attention pattern (name mover, S-inhibition, duplicate token) forms as a phase transition",
       models=["toy-ioi-2l", "toy-ioi-3l"], seeds=SEEDS,
       refuted="the name mover's and the duplicate-token head's attention form from the start: smallest onset "
               "ratio 0.062 / 0.044 / 0.38 (2l) and 0.035 / 0.052 / 0.034 (3l), seeds 0 / 1 / 2, every category "
               "resolved (4-12 checkpoints inside each change); only S-inhibition has a plateau (0.62-0.85)")
def test_head_categories_form_as_phase_transitions(toy_ioi_formation, evidence, target, plot_dir):
    """For each category, the final model's top head by that attention pattern, followed over
    training. Threshold: the smallest onset ratio over the three categories > 0.5 (module
    docstring)."""
    steps, attention = toy_ioi_formation.steps, toy_ioi_formation.attention
    evidence.attach("attention of each head category", line_plot(
        plot_dir / f"{target.id}-ioi-categories.png", steps, attention,
        title=f"{target.id}: IOI head categories over training", ylabel="attention to target"))
    ratios = {name: onset_ratio(steps, curve) for name, curve in attention.items()}
    evidence.note("onset ratio per category", ratios)
    evidence.note("heads", toy_ioi_formation.heads)
    require_resolved(evidence, steps, attention)
    evidence.expect("smallest onset ratio over categories", min(ratios.values()), ">", SUDDEN)


@claim("5.29", "Sorting: the accuracy at each list length rises as a phase transition, and longer lists are learned later",
       models=["sort-variable-2l"], seeds=SEEDS)
def test_sorting_lengths_are_learned_in_phase_transitions(sorting_by_length, evidence, target, plot_dir):
    """Thresholds: the smallest onset ratio over lengths 2-8 > 0.5 (module docstring); "later":
    the steepest rise of length 8 comes after that of length 2 (steps, > 0). Our own, set before
    measuring."""
    steps, by_length = sorting_by_length
    evidence.attach("accuracy by list length", line_plot(
        plot_dir / f"{target.id}-sort-lengths.png", steps, {f"length {n}": c for n, c in by_length.items()},
        title=f"{target.id}: lists fully sorted over training", ylabel="accuracy"))
    ratios = {n: onset_ratio(steps, curve) for n, curve in by_length.items()}
    evidence.note("onset ratio per length", ratios)
    require_resolved(evidence, steps, by_length)
    evidence.expect("smallest onset ratio over lengths", min(ratios.values()), ">", SUDDEN)
    lag = steepest_change_step(steps, by_length[max(by_length)]) - steepest_change_step(steps, by_length[min(by_length)])
    evidence.expect("steepest rise of length 8 minus that of length 2 (steps)", lag, ">", 0)
