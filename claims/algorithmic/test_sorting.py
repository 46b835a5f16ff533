"""Sorting lists (seed problems 3.1 fixed length and 3.2 variable length).

Models (catalog/sequences.py): ``sort-fixed-2l`` (6 distinct values of 0..29, format
``START 4 6 2 9 .. MID 2 4 6 9 ..``) and ``sort-variable-2l`` (2..8 values, then ``END`` and
padding); 2-layer transformers with MLPs, d_model 64. Evaluation: 512 fresh lists (seed 1000).
"""

from catalog.sequences import SORT_MAX_LEN, next_sorted_targets
from harness import claim
from harness.interp.accuracy import correct_predictions, masked_accuracy, sequence_accuracy
from harness.interp.heads import head_name, head_scores, top_head
from harness.models.tasks import task_batch

SEEDS = [0, 1, 2]
EVAL_SEED = 1000


def evaluation(model, task):
    tokens, mask, targets = task_batch(task, 512, EVAL_SEED)
    return tokens, mask, correct_predictions(model, tokens, targets)


@claim("3.1", "A 2-layer transformer sorts lists of 6 distinct values: > 95% of lists fully sorted",
       models=["sort-fixed-2l"], seeds=SEEDS)
def test_sorts_fixed_length_lists(model, evidence):
    """Threshold 95% of whole lists right: "can sort" read as near-perfect on fresh lists."""
    tokens, mask, correct = evaluation(model, "sort-fixed")
    evidence.note("per-token accuracy", masked_accuracy(correct, mask))
    evidence.expect("lists fully sorted", sequence_accuracy(correct, mask).float().mean(), ">", 0.95)


def check_next_element_head(model, task, evidence):
    """Threshold 0.5: the head puts most of its attention on the input position of the next
    output (the smallest input greater than the previous output), the hypothesis' wording."""
    tokens, _, _ = task_batch(task, 256, EVAL_SEED)
    scores = head_scores(model, tokens, next_sorted_targets)
    layer, head = top_head(scores)
    evidence.note("head", head_name((layer, head)))
    evidence.note("scores by layer and head", [[round(x, 2) for x in row] for row in scores.tolist()])
    evidence.expect("max attention to the next sorted input", scores.max(), ">", 0.5)


@claim("3.1", "At each sorted output, a head attends to the smallest input token greater than the previous output",
       models=["sort-fixed-2l"], seeds=SEEDS,
       machine_dependent={"sort-fixed-2l-seed0": "max attention to the next sorted input 0.495 on AVX-512, "
                          "0.527 with AVX2 kernels (threshold 0.5)"})
def test_fixed_length_head_attends_to_next_element(model, evidence):
    """Threshold 0.5 on the head's attention to the next sorted input: our own hypothesis, set
    before measuring ("attends" read as most of its attention; see ``check_next_element_head``)."""
    check_next_element_head(model, "sort-fixed", evidence)


@claim("3.2", "At each sorted output, a head attends to the smallest input token greater than the previous output (variable length)",
       models=["sort-variable-2l"], seeds=SEEDS)
def test_variable_length_head_attends_to_next_element(model, evidence):
    """Threshold 0.5, as for fixed length: our own hypothesis, set before measuring."""
    check_next_element_head(model, "sort-variable", evidence)


@claim("3.2", "Variable-length sorting: > 90% of lists fully sorted at every length 2-8, and accuracy does not rise with length",
       models=["sort-variable-2l"], seeds=SEEDS)
def test_variable_length_accuracy_by_length(model, evidence):
    """3.2 asks how length affects accuracy. Thresholds: every trained length > 0.9 (near-
    perfect, our reading); longer lists are harder (more steps to get right), so length 8's
    accuracy must not exceed length 2's."""
    tokens, mask, correct = evaluation(model, "sort-variable")
    by_length = {}
    n = mask.sum(dim=1) - 1  # masked positions: the n sorted values and END
    ok = sequence_accuracy(correct, mask)
    for length in range(2, SORT_MAX_LEN + 1):
        by_length[length] = float(ok[n == length].float().mean())
    evidence.note("accuracy by length", {k: round(v, 3) for k, v in by_length.items()})
    evidence.expect("worst accuracy over lengths", min(by_length.values()), ">", 0.9)
    evidence.expect("accuracy(8) - accuracy(2)", by_length[SORT_MAX_LEN] - by_length[2], "<=", 0)
