"""A toy model of fine-tuning (seed problems 5.15-5.21): ``toy-attn-2l`` (trained on the induction
task, task 1) fine-tuned for 300 steps on the shifted-copy task (task 2: sequences that start
with a marker token instead of BOS, in which each next token of the repeated block is to be
predicted plus one), ``toy-attn-2l-ft-shifted``. Fine-tuning sees task-2 data only. Measured on
256 held-out repeated random sequences per task, on the predictable repeated tokens
(``catalog.fine_tuning``); the fine-tuning checkpoints (every 5 steps, and 20 log-spaced) with
the old model as step 0.

Every threshold is our own hypothesis, set before measuring.
"""

from catalog.datasets import REPEAT_HALF_LEN, repeated_random_tokens
from catalog.fine_tuning import COPIED
from harness import claim
from harness.claims.shared import expect_phase_transition
from harness.interp.heads import DETECTOR_THRESHOLD, induction_scores
from harness.interp.phase import onset_ratio
from harness.interp.plots import line_plot
from harness.interp.statistics import top_share
from harness.interp.weights import circuit_changes

MODELS = ["toy-attn-2l-ft-shifted"]
SEEDS = [0, 1, 2]
LEARNED = 0.9  # a task is learned: > 90% of its predictable repeated tokens right


@claim("5.15", "The fine-tuning toy works: the old model does task 1 and the fine-tuned model does task 2",
       models=MODELS, seeds=SEEDS)
def test_both_tasks_are_learned(fine_tuning, evidence):
    """Threshold: > 0.9 accuracy on the predictable repeated tokens, each model on its own task."""
    evidence.expect("old model's task-1 accuracy", fine_tuning.accuracy["task 1"][0], ">", LEARNED)
    evidence.expect("fine-tuned model's task-2 accuracy", fine_tuning.accuracy["task 2"][-1], ">", LEARNED)


@claim("5.15", "Fine-tuning overwrites rather than adds: the fine-tuned model shifts unmarked (task-1) sequences too, ignoring the marker",
       models=MODELS, seeds=SEEDS)
def test_fine_tuned_model_ignores_the_marker(fine_tuning, evidence):
    """Hypothesis: with no task-1 data in fine-tuning, the cheapest change is to shift every copy,
    so the model never learns to read the marker. Threshold: the fine-tuned model predicts the
    shifted token on > 0.9 of the repeated tokens of task-1 (BOS-first) sequences."""
    evidence.require("fine-tuned model's task-2 accuracy", fine_tuning.accuracy["task 2"][-1], ">", LEARNED)
    evidence.expect("shifted predictions on unmarked sequences", fine_tuning.copy_accuracy(fine_tuning.new, "task 1", "task 2"), ">", LEARNED)


@claim("5.16", "Fine-tuning on task 2 alone makes the model forget task 1: its task-1 accuracy falls below half its start and does not recover",
       models=MODELS, seeds=SEEDS)
def test_task_one_is_forgotten(fine_tuning, evidence, target, plot_dir):
    """Thresholds: the lowest task-1 accuracy over the fine-tuning checkpoints, and the final one,
    are each < 0.5 x the old model's."""
    steps, accuracy = fine_tuning.steps, fine_tuning.accuracy
    evidence.attach("accuracy on both tasks during fine-tuning", line_plot(
        plot_dir / f"{target.id}-fine-tuning.png", steps, accuracy,
        title=f"{target.id}: repeated-token accuracy during fine-tuning", ylabel="accuracy"))
    start = accuracy["task 1"][0]
    evidence.note("task-1 accuracy (start, lowest, end)", (start, min(accuracy["task 1"]), accuracy["task 1"][-1]))
    evidence.expect("lowest task-1 accuracy / start", min(accuracy["task 1"]) / start, "<", 0.5)
    evidence.expect("final task-1 accuracy / start", accuracy["task 1"][-1] / start, "<", 0.5)


@claim("5.17", "The fine-tuned model gains on the repeated tokens only, and evenly over them",
       models=MODELS, seeds=SEEDS)
def test_gain_is_on_the_repeated_tokens(fine_tuning, evidence):
    """Gain: task-2 per-token loss of the old model minus the fine-tuned one's. Thresholds: the
    predictable repeated tokens (19 of 40 positions) carry > 90% of the total gain; within the
    whole set the top 10% of tokens carry < 30% of it (evenly over the repeated tokens would be
    about 21%; a few tokens carrying it, near 100%)."""
    gain = fine_tuning.token_gain
    evidence.note("mean gain per token (nats): repeated / other", (float(gain[:, COPIED].mean()),
                  float(gain.sum() - gain[:, COPIED].sum()) / (gain.numel() - gain[:, COPIED].numel())))
    evidence.expect("share of the gain on the repeated tokens", float(gain[:, COPIED].sum() / gain.sum()), ">", 0.9,
                    per_example=gain[:, COPIED].mean(dim=1))
    evidence.expect("share of the gain in the top 10% of tokens", top_share(gain, 0.1), "<", 0.3)


@claim("5.18", "Patching one head from the fine-tuned into the old model recovers most of the task-2 gain",
       models=MODELS, seeds=SEEDS,
       refuted="the best single head recovers 0.19 / 0.20 / 0.18 of the gain (seeds 0 / 1 / 2): recovering the "
               "fine-tuned behaviour takes more than one head's output")
def test_one_head_recovers_the_gain(fine_tuning, evidence):
    """Activation patching between models: the old model run on task-2 sequences with one head's
    output (hook_z) taken from the fine-tuned model's run. Recovered share of the task-2 loss
    gain on the repeated tokens (0: old, 1: fine-tuned). Threshold: the best single head > 0.5."""
    recovered = fine_tuning.head_patching
    evidence.note("recovered share per head [layer, head]", recovered)
    evidence.expect("best single head's recovered share", float(recovered.max()), ">", 0.5)


@claim("5.20", "Fine-tuning changes what the heads write, not where they attend: some head's OV circuit moves more than any QK circuit",
       models=MODELS, seeds=SEEDS)
def test_ov_moves_more_than_qk(fine_tuning, evidence):
    """Relative change ``||after - before|| / ||before||`` of each head's QK and OV circuit
    (``harness.interp.weights``). Hypothesis: the shift is a change of the copied token, an OV
    change. Threshold: largest OV change / largest QK change > 1."""
    changes = circuit_changes(fine_tuning.old, fine_tuning.new)
    evidence.note("relative change per head [layer, head]", changes)
    evidence.expect("largest OV change / largest QK change", float(changes["OV"].max() / changes["QK"].max()), ">", 1)


@claim("5.20", "The induction attention survives fine-tuning: the fine-tuned model still has a layer-1 induction head",
       models=MODELS, seeds=SEEDS)
def test_induction_attention_survives(fine_tuning, evidence):
    """Threshold: max layer-1 induction score (Olsson et al. 2022) on the induction claims' 64
    repeated sequences (seed 1000) > 0.4, the ARENA detector threshold."""
    tokens = repeated_random_tokens(64, REPEAT_HALF_LEN, fine_tuning.new.cfg.d_vocab, seed=1000)
    evidence.note("old model's max layer-1 induction score", float(induction_scores(fine_tuning.old, tokens)[1].max()))
    evidence.expect("fine-tuned model's max layer-1 induction score", float(induction_scores(fine_tuning.new, tokens)[1].max()),
                    ">", DETECTOR_THRESHOLD)


@claim("5.21", "Task 2 is learned in fine-tuning as a phase transition (a plateau, then an abrupt rise)",
       models=MODELS, seeds=SEEDS)
def test_fine_tuning_is_a_phase_transition(fine_tuning, evidence):
    """Thresholds as for the other dynamics claims (test_algorithmic_phase_changes.py): onset
    ratio > 0.5 and a change-point p-value < 0.01. Precondition: at least 4 checkpoints inside
    the rise (10%-90%). The curves are the fine-tuning checkpoints' (from step 1: the phase
    measures time steps on a log scale, which has no step 0)."""
    steps, accuracy = fine_tuning.steps[1:], {task: curve[1:] for task, curve in fine_tuning.accuracy.items()}
    evidence.note("onset ratio of task 1's fall", onset_ratio(steps, accuracy["task 1"]))
    expect_phase_transition(evidence, steps, accuracy["task 2"], "task-2 accuracy")
