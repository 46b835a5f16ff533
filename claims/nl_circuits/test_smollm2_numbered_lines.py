"""Numbered lines in SmolLM2-135M-Instruct (open problem 2.3): "4. cat\\n5. dog\\n6. sky\\n" ->
"7" rather than "6", the previous number (what copying the token after the previous newline,
plain induction, would give). Prompts: ``catalog.prompts.numbers.numbered_lines``, 100 per
prompt seed.
"""

from harness import claim
from harness.claims.shared import expect_behaviour, prompt_seeds
from harness.interp.heads import named_scores

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.3", "SmolLM2-135M writes the next line number: logit(next) > logit(previous) on at least 90% of numbered lists", models=MODELS)
def test_numbered_lines_behaviour(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff next - previous > 0 and accuracy >= 0.9 (the NL claims'
    reading of "the model does it")."""
    expect_behaviour(evidence, nl.logit_attribution("numbered lines", prompt_seed).logits,
                     "mean logit diff next - previous number", "accuracy (next above previous)")


@prompt_seeds()
@claim("2.3", "The head with the largest direct effect on next - previous number attends mostly to the previous number (induction-like)",
       models=MODELS)
def test_numbered_lines_head_attends_to_the_previous_number(model, nl, prompt_seed, evidence):
    """Threshold 0.5 (more than half its attention) from the last newline to the previous line's
    number: the token after the previous newline, where an induction head looks (problem 2.3's
    question; our threshold)."""
    head, per_prompt = nl.top_head_attention("numbered lines", "previous number", prompt_seed)
    evidence.note("top DLA head (direct effect)", named_scores(nl.head_dla("numbered lines", prompt_seed), [head], 2))
    evidence.expect("its attention to the previous number", per_prompt.mean(), ">", 0.5, per_example=per_prompt)
