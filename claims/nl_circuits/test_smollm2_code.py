"""Code behaviours of SmolLM2-135M-Instruct: closing HTML tags (open problem 2.15) and methods by
object type (2.16). Prompts: ``catalog.prompts.code``, 100 per prompt seed. For each, first that
the model does it (logit difference correct - wrong at the last position), then whether the head
with the largest direct effect (DLA) reads the evidence: its attention from the last position
("</" / ".") to the matching opening tag / the queried variable's literal (``[]`` or ``{}``),
against the other open tag / the other variable's literal.
"""

from harness import claim
from harness.claims.shared import expect_behaviour, expect_top_head_reads, prompt_seeds

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.15", "SmolLM2-135M closes the innermost open HTML tag: logit(its name) > logit(the outer open tag's) on at least 90% of prompts",
       models=MODELS, refuted="the matching tag beats the outer open tag on only 54% / 62% / 55% of the prompts (prompt seeds 0 / 1 / 2; "
                              "mean logit diff +0.42 / +0.54 / +0.66): with random tags the model barely tracks which one is open")
def test_html_closing_tag_behaviour(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the NL claims' reading of "the model
    does it"), on "<A><B><C>word</C></" -> B against A."""
    expect_behaviour(evidence, nl.logit_attribution("html closing tags", prompt_seed).logits,
                     "mean logit diff matching - outer tag", "accuracy (matching above outer tag)")


@prompt_seeds()
@claim("2.15", "The head with the largest direct effect on the closing tag attends from '</' mostly to the matching opening tag, "
       "more than to the other open tag", models=MODELS,
       refuted="the top DLA head, L23H0 on every prompt seed, puts 0.32 / 0.34 / 0.33 of its attention on the matching tag "
               "(prompt seeds 0 / 1 / 2): more than on the outer open tag (0.14 / 0.13 / 0.12), but not most")
def test_html_closing_tag_head_attends_to_the_opening_tag(model, nl, prompt_seed, evidence):
    """Our own hypothesis, thresholds set before measuring: the tag name is copied from its
    opening tag, so the head writing it puts more than half its attention (0.5) on that tag's
    name, and more than on the outer open tag's name (mean per-prompt difference > 0)."""
    expect_top_head_reads(evidence, nl, "html closing tags", prompt_seed, "open", "outer")


@prompt_seeds()
@claim("2.16", "SmolLM2-135M picks the method of the variable's type: logit(append) > logit(update) after a list's '.', "
       "and the reverse after a dict's, on at least 90% of prompts", models=MODELS,
       refuted="the queried type's method wins on only 53% / 61% / 64% of the prompts (prompt seeds 0 / 1 / 2; mean logit "
               "diff +0.83 / +1.16 / +1.64)")
def test_method_by_type_behaviour(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the NL claims' reading of "the model
    does it"), with a list and a dict assigned in the two lines before (problem 2.16's methods)."""
    expect_behaviour(evidence, nl.logit_attribution("methods by type", prompt_seed).logits,
                     "mean logit diff own - other type's method", "accuracy (own above other type's method)")


@prompt_seeds()
@claim("2.16", "The head with the largest direct effect on the method attends from '.' mostly to the variable's type evidence "
       "([] or {}), more than to the other variable's", models=MODELS,
       refuted="the top DLA head, L18H6 on every prompt seed (direct effect 0.06-0.12 only), puts 0.41 / 0.43 / 0.45 of its "
               "attention on the queried variable's literal (prompt seeds 0 / 1 / 2): far more than on the other literal "
               "(0.03), but not most")
def test_method_head_attends_to_the_type_evidence(model, nl, prompt_seed, evidence):
    """Problem 2.16 asks for the attention from the method position to the type evidence; our own
    thresholds, set before measuring: more than half the top DLA head's attention (0.5) on the
    queried variable's literal, and more than on the other variable's literal (mean per-prompt
    difference > 0)."""
    expect_top_head_reads(evidence, nl, "methods by type", prompt_seed, "type", "other type")
