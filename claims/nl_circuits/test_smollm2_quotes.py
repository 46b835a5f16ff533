"""Closing a string with its own quote character in SmolLM2-135M-Instruct (open problem 2.17, our
choice of code behaviour): "a = 'text'\\nb = \\"hello" -> '"', not "'" (``catalog.prompts.strings``,
100 prompts per prompt seed; the two strings always use different quotes, so the last quote
seen is the wrong one). First that the model does it (logit difference at the last position),
then whether the head with the largest direct effect (DLA) moves the evidence: its attention
from the string's last word to the quote that opened it, against the first string's quote.
Measured (prompt seeds 0 / 1 / 2): accuracy 1.0 on each (mean logit diff +5.74 / +5.44 / +5.56); the
top DLA head is L26H6 on every seed (+3.14 / +3.02 / +2.97), 0.96 / 0.97 / 0.97 of its attention on
the opening quote, 0.02 on the other string's.
"""

from harness import claim
from harness.claims.shared import expect_behaviour, expect_top_head_reads, prompt_seeds

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.17", "SmolLM2-135M closes a string with the quote that opened it, not the previous string's: "
       "logit(its quote) > logit(the other) on at least 90% of prompts", models=MODELS)
def test_matching_quote_behaviour(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the NL claims' reading of "the model
    does it")."""
    expect_behaviour(evidence, nl.logit_attribution("matching quotes", prompt_seed).logits,
                     "mean logit diff opening - other quote", "accuracy (opening quote above the other)")


@prompt_seeds()
@claim("2.17", "The head with the largest direct effect on the closing quote attends from the string's word mostly to "
       "its opening quote, more than to the other string's quote", models=MODELS)
def test_matching_quote_head_attends_to_the_opening_quote(model, nl, prompt_seed, evidence):
    """Our own hypothesis, thresholds set before measuring: the quote character is copied from
    the opening quote, so the head writing it puts more than half its attention (0.5) there, and
    more than on the first string's opening quote (mean per-prompt difference > 0)."""
    expect_top_head_reads(evidence, nl, "matching quotes", prompt_seed, "open", "other")
