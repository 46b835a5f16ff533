"""Counting objects in text in SmolLM2-135M-Instruct (open problem 2.9): "In the basket: pear,
apple, apple, pear, apple, pear, pear. The number of apples in the basket is " -> "3"
(``catalog.prompts.numbers.counting``: 7 fruits of two kinds, the counted one 1 to 6 times, as
many prompts per count, 100 per prompt seed). The answer is read at the last position: the
argmax over the ten digit tokens (accuracy), and logit(count) - logit(the other fruit's count).
"""

import torch

from harness import claim
from harness.claims.shared import expect_behaviour, prompt_seeds
from harness.interp.metrics import logit_diff

MODELS = ["smollm2-135m"]
DIGITS = tuple(str(d) for d in range(10))


def digit_answers(nl, tokenizer, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """([n] the count, [n] the digit the model ranks first among the ten)."""
    digits = torch.tensor([tokenizer.convert_tokens_to_ids(d) for d in DIGITS])
    task = nl.task("counting", seed)
    counts = torch.tensor([int(tokenizer.decode(t)) for t in task.correct])
    return counts, nl.last_logits("counting", seed)[:, digits].argmax(-1)


@prompt_seeds()
@claim("2.9", "SmolLM2-135M counts the objects of one kind in a list of 7: the right digit ranks first on at least 90% of prompts",
       models=MODELS, refuted="accuracy 0.17 on prompt seeds 0, 1 and 2: the model answers \"1\" to every basket (right only "
                              "when the count is 1)")
def test_counting_accuracy(model, nl, prompt_seed, evidence):
    """Threshold 0.9, the NL claims' reading of "the model does it" (our own, set before
    measuring); the accuracy at each count is noted."""
    counts, predicted = digit_answers(nl, model.tokenizer, prompt_seed)
    right = (predicted == counts).float()
    evidence.note("accuracy by count", {int(c): round(float(right[counts == c].mean()), 2) for c in counts.unique()})
    evidence.note("predicted digit counts", torch.bincount(predicted, minlength=10).tolist())
    evidence.expect("accuracy (argmax over the digits)", right.mean(), ">=", 0.9)


@prompt_seeds()
@claim("2.9", "SmolLM2-135M counts better than chance at every count from 1 to 6: accuracy above 0.5 at each", models=MODELS,
       refuted="accuracy 1.0 at count 1 and 0.0 at counts 2-6 on prompt seeds 0, 1 and 2 (it always answers \"1\")")
def test_counting_accuracy_at_every_count(model, nl, prompt_seed, evidence):
    """Our own hypothesis, threshold set before measuring: the lowest accuracy over the counts
    1-6 (about 17 prompts each) above 0.5 (chance among the ten digits: 0.1)."""
    counts, predicted = digit_answers(nl, model.tokenizer, prompt_seed)
    by_count = torch.stack([(predicted[counts == c] == c).float().mean() for c in counts.unique()])
    evidence.expect("lowest accuracy over the counts", by_count.min(), ">", 0.5, per_example=by_count)


@prompt_seeds()
@claim("2.9", "SmolLM2-135M counts the fruit asked about, not the other: logit(its count) > logit(the other fruit's count) "
       "on at least 90% of prompts", models=MODELS,
       refuted="its count beats the other fruit's on 51% of the prompts of each prompt seed 0 / 1 / 2 (mean logit diff +0.05 / "
               "+0.04 / +0.04): no sign of counting the fruit asked about")
def test_counting_counts_the_fruit_asked_about(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the NL claims' reading of "the model
    does it")."""
    task = nl.task("counting", prompt_seed)
    expect_behaviour(evidence, logit_diff(nl.last_logits("counting", prompt_seed), task.correct, task.wrong), "mean logit diff count - other fruit's count", "accuracy (count above the other's)")
