"""Predicting the output of simple code (3.9): a 2-layer transformer reads ``a = 4 9 3 0 .
a [ 1 ] = 7 . a ->`` and prints ``4 7 3 0`` (catalog/code_output.py). Evaluation: 512 fresh
programs (seed 1000)."""

from catalog.code_output import CODE_MODEL, assigned_value_targets
from harness import claim
from harness.interp.accuracy import correct_predictions, masked_accuracy, sequence_accuracy
from harness.interp.heads import head_name, head_scores, top_head
from harness.models.tasks import task_batch

SEEDS = [0, 1, 2]
EVAL_SEED = 1000


@claim("3.9", "A 2-layer transformer prints the list after one indexed assignment: > 95% of lists fully right",
       models=[CODE_MODEL], seeds=SEEDS)
def test_predicts_program_output(model, evidence):
    """Threshold 95% of whole lists right, the bar of the sorting claims (3.1): "can predict the
    output" read as near-perfect on fresh programs."""
    tokens, mask, targets = task_batch("code-assign", 512, EVAL_SEED)
    correct = correct_predictions(model, tokens, targets)
    evidence.note("per-value accuracy", masked_accuracy(correct, mask))
    evidence.expect("lists fully right", sequence_accuracy(correct, mask).float().mean(), ">", 0.95)


@claim("3.9", "A head moves the assigned value to its index: predicting the assigned index's output, it attends mostly (> 50%) to the assigned value",
       models=[CODE_MODEL], seeds=SEEDS,
       refuted={"code-assign-2l-seed0": "lists 100% right, yet no head puts more than 0.15 on the value (seeds 1 / 2: "
                "0.97 / 0.98, layer 1); seed 0's layer-1 heads put 0.67-0.94 on the 'a' before '->' and its layer-0 "
                "heads spread theirs (at most 0.25 on one position): the value reaches the output another way, "
                "not traced"})
def test_head_moves_assigned_value(model, evidence):
    """Hypothesis (ours, set before measuring): the printed value at the assigned index is copied
    by attention from the assignment's value token, not recomputed. Threshold 0.5: the head puts
    most of its attention there (the reading of "attends" of the sorting claims, 3.1)."""
    tokens, _, _ = task_batch("code-assign", 512, EVAL_SEED)
    scores = head_scores(model, tokens, assigned_value_targets)
    evidence.note("head", head_name(top_head(scores)))
    evidence.note("scores by layer and head", [[round(x, 2) for x in row] for row in scores.tolist()])
    evidence.expect("max attention to the assigned value", scores.max(), ">", 0.5)
