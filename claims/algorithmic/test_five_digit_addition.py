"""5-digit addition (seed problems 3.8, 5.1, 5.2): ``a_4..a_0 + b_4..b_0 = c_5..c_0``, most
significant digit first, on ``add-5-digit-2l`` (2-layer transformer, d_model 64, 4000 steps,
checkpoints every 100; catalog/sequences.py). Per-digit losses on 512 fresh problems
(seed 1000) at every checkpoint of the same training run."""

from catalog.sequences import ADD_DIGITS
from harness import claim
from harness.claims.shared import per_target
from harness.interp.accuracy import correct_predictions, position_losses
from harness.interp.grokking import drop_steps
from harness.interp.plots import line_plot
from harness.models.metric_cache import over_checkpoints
from harness.models.tasks import task_batch

SEEDS = [0, 1, 2]
MODEL = ["add-5-digit-2l"]
ANSWER = slice(2 * ADD_DIGITS + 1, 3 * ADD_DIGITS + 2)  # prediction positions of c_5 .. c_0
DIGIT_NAMES = [f"c{ADD_DIGITS - i}" for i in range(ADD_DIGITS + 1)]


@per_target
def digit_curves(checkpoints):
    """(steps, {digit name: loss at each checkpoint of the training run})."""
    tokens, _, targets = task_batch("add-5-digit", 512, 1000)
    losses = over_checkpoints(checkpoints, "answer digit losses", lambda m: position_losses(m, tokens, targets)[ANSWER], tokens, targets)
    return list(checkpoints), {name: [float(l[i]) for l in losses] for i, name in enumerate(DIGIT_NAMES)}


@claim("3.8", "A 2-layer transformer adds 5-digit numbers: every answer digit > 95% accurate",
       models=MODEL, seeds=SEEDS)
def test_adds_five_digit_numbers(model, evidence):
    """Threshold 95% per digit ("can do the task", near-perfect)."""
    tokens, _, targets = task_batch("add-5-digit", 512, 1000)
    per_digit = correct_predictions(model, tokens, targets)[:, ANSWER].float().mean(dim=0)
    evidence.note("accuracy by digit", dict(zip(DIGIT_NAMES, per_digit.round(decimals=3).tolist())))
    evidence.expect("worst digit accuracy", per_digit.min(), ">", 0.95)


@claim("5.1", "Each answer digit has its own phase change: its loss falls from 80% to 20% of its start within 500 steps (1/8 of training)",
       models=MODEL, seeds=SEEDS)
def test_each_digit_has_a_phase_change(digit_curves, target, evidence, plot_dir):
    """Nanda & Lieberum 2022 (grokking post) report a sudden drop per digit. "Sudden" read
    as 80% -> 20% of the starting loss within 500 of 4000 steps."""
    steps, curves = digit_curves
    widths = {}
    for name, values in curves.items():
        high, low = drop_steps(steps, values, (0.8, 0.2))
        widths[name] = (low - high) if high is not None and low is not None else float("inf")
    evidence.note("80%->20% widths (steps)", widths)
    path = line_plot(plot_dir / f"{target.id}-digits.png", steps, curves, title=f"{target.id}: loss per answer digit",
                     ylabel="loss (nats)", log_y=True)
    evidence.attach(f"{target.id} per-digit loss", path)
    evidence.expect("widest drop (steps)", max(widths.values()), "<=", 500)


@claim("5.1", "The phase changes happen per digit, not together: the digits' half-loss steps span at least 300 steps",
       models=MODEL, seeds=SEEDS)
def test_digit_phase_changes_are_separate(digit_curves, evidence):
    """If all digits were learned in one phase change their half-loss steps would coincide
    (at 100-step resolution); 300 steps (3 checkpoints) is our separation threshold."""
    steps, curves = digit_curves
    halves = {name: drop_steps(steps, values, (0.5,))[0] for name, values in curves.items()}
    evidence.note("half-loss step by digit", halves)
    known = [h for h in halves.values() if h is not None]
    evidence.expect("span of half-loss steps", max(known) - min(known) if known else float("nan"), ">=", 300)


@claim("5.1", "There are six phase changes, one per answer digit: the six half-loss steps are all different",
       models=MODEL, seeds=SEEDS,
       refuted="two phase changes, not six, on every seed: c5 and c4 at step 200, c3-c0 together at step "
               "700 / 700 / 600 (seeds 0 / 1 / 2; 100-step checkpoints)")
def test_six_separate_phase_changes(digit_curves, evidence):
    """The problem's own wording ("a phase change per digit, so 6 total"): 6 distinct
    half-loss steps at 100-step resolution."""
    steps, curves = digit_curves
    halves = [drop_steps(steps, values, (0.5,))[0] for values in curves.values()]
    evidence.expect("distinct half-loss steps", len(set(halves)), "==", ADD_DIGITS + 1)


@claim("5.2", "The units digit c0 (no incoming carry) is learned before the digits c1-c4 that need a carry",
       models=MODEL, seeds=SEEDS,
       refuted="the most significant digits come first (c5, c4 at step 200), then c3-c0 together at step "
               "700 / 700 / 600 (seeds 0 / 1 / 2)")
def test_units_digit_is_learned_first(digit_curves, evidence):
    """Hypothesis (ours) for the order: a digit that needs no carry information is just the
    sum mod 10 of two tokens, so its phase change comes first. Half-loss step of c0 strictly
    before the earliest of c1..c4."""
    steps, curves = digit_curves
    halves = {name: drop_steps(steps, values, (0.5,))[0] or 10**9 for name, values in curves.items()}
    evidence.note("half-loss step by digit", halves)
    evidence.expect("min half-loss step of c1-c4 - that of c0",
                    min(halves[f"c{i}"] for i in range(1, ADD_DIGITS)) - halves["c0"], ">", 0)
