"""Beginner algorithmic problems 3.5 (minimum / maximum of two ints), 3.6 (permuting lists) and
3.7 (Fibonacci-style recurrence), on small transformers trained here (catalog/sequences.py).
Evaluation: 512 fresh sequences (seed 1000)."""

from catalog.sequences import FIB_M, answer_source_targets, permuted_source_targets
from harness import claim
from harness.interp.accuracy import task_accuracy
from harness.interp.fourier import frequency_norms, top_frequency_fraction
from harness.interp.heads import head_name, head_scores, previous_token_scores, top_head
from harness.models.tasks import task_batch

SEEDS = [0, 1, 2]
EVAL_SEED = 1000


def top_score(evidence, name, scores):
    layer, head = top_head(scores)
    evidence.note("head", head_name((layer, head)))
    evidence.expect(name, scores.max(), ">", 0.5)


@claim("3.5", "A 1-layer transformer takes the min or max of two ints (as the operator token says) with > 99% accuracy",
       models=["min-max-1l"], seeds=SEEDS)
def test_min_max_accuracy(model, evidence):
    """Threshold 99%: the task is simple enough to be solved essentially perfectly."""
    evidence.expect("answer accuracy", task_accuracy(model, task_batch("min-max", 512, EVAL_SEED)), ">", 0.99)


@claim("3.5", "Min/max is read by attention: at the operator token a head attends mostly (> 50%) to the operand that is the answer",
       models=["min-max-1l"], seeds=SEEDS)
def test_min_max_head_attends_to_answer(model, evidence):
    """Hypothesis (ours): a comparison in QK (the operator token's query prefers the smaller or
    larger key) and a copy in OV. Threshold 0.5: the head puts most attention on the answer."""
    tokens, _, _ = task_batch("min-max", 512, EVAL_SEED)
    top_score(evidence, "max attention to the answer operand", head_scores(model, tokens, answer_source_targets))


@claim("3.6", "A 2-layer transformer permutes lists of 5 values by a given permutation with > 95% per-value accuracy",
       models=["permute-2l"], seeds=SEEDS)
def test_permute_accuracy(model, evidence):
    """Threshold 95%: "can do the task" read as near-perfect."""
    evidence.expect("per-value accuracy", task_accuracy(model, task_batch("permute", 512, EVAL_SEED)), ">", 0.95)


@claim("3.6", "Permuting is pointer-following: predicting output i, a head attends mostly (> 50%) to input position perm[i]",
       models=["permute-2l"], seeds=SEEDS,
       refuted="accuracy 1.00 yet no head puts more than 0.17 / 0.07 / 0.29 (seeds 0 / 1 / 2) of its "
               "attention on the source value from the output position; the value must be gathered "
               "elsewhere (untested guess: at the index token, then moved by a fixed offset)")
def test_permute_head_attends_to_source(model, evidence):
    """Hypothesis (ours): layer 0 moves the index token to the output position, a layer-1 head
    uses it as a positional query. Threshold 0.5 on attention to the source position."""
    tokens, _, _ = task_batch("permute", 512, EVAL_SEED)
    top_score(evidence, "max attention to the source position", head_scores(model, tokens, permuted_source_targets))


@claim("3.7", "A 1-layer transformer continues x_t = x_(t-1) + x_(t-2) mod 23 with > 95% accuracy",
       models=["fibonacci-1l"], seeds=SEEDS)
def test_fibonacci_accuracy(model, evidence):
    """Threshold 95%: near-perfect (every (x_(t-2), x_(t-1)) pair is seen in training)."""
    evidence.expect("accuracy from x_2 on", task_accuracy(model, task_batch("fibonacci", 512, EVAL_SEED)), ">", 0.95)


@claim("3.7", "The recurrence needs the previous two elements: a head attends mostly (> 50%) to the previous token",
       models=["fibonacci-1l"], seeds=SEEDS,
       refuted="best previous-token score 0.44 / 0.48 / 0.47 (seeds 0 / 1 / 2): attention to the previous "
               "token is shared with the current one")
def test_fibonacci_previous_token_head(model, evidence):
    """Threshold 0.5 (majority attention) on the previous-token score; the current token comes
    through the residual stream."""
    tokens, _, _ = task_batch("fibonacci", 512, EVAL_SEED)
    top_score(evidence, "max previous-token score", previous_token_scores(model, tokens))


@claim("3.7", "The recurrence is modular addition: the embedding is sparse in the Fourier basis of Z_23 (top 3 of 11 frequencies > 80% of its norm)",
       models=["fibonacci-1l"], seeds=SEEDS,
       refuted="top-3 share 0.33 / 0.33 / 0.31 (seeds 0 / 1 / 2; trained without weight decay on all pairs: "
               "nothing pushes it to a sparse Fourier solution)")
def test_fibonacci_embedding_is_fourier_sparse(model, evidence):
    """Nanda et al. 2023's modular-addition algorithm (Fig. 3: a few key frequencies); 3 of 11
    frequencies here, with the 80% threshold of the modular-addition claims (3.3)."""
    norms = frequency_norms(model.W_E[:FIB_M].detach())
    evidence.expect("top-3 share of the embedding's Fourier norm", top_frequency_fraction(norms, 3), ">", 0.8)
