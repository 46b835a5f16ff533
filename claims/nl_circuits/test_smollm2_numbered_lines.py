"""Numbered lines in SmolLM2-135M-Instruct (open problem 2.3): "4. cat\\n5. dog\\n6. sky\\n" ->
"7" rather than "6", the previous number (what copying the token after the previous newline,
plain induction, would give). Prompts: ``catalog.prompts.numbers.numbered_lines``, 100 per
prompt seed.
"""

from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.heads import attention_to_targets_per_example, head_name, top_head
from harness.interp.ioi import position_targets

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.3", "SmolLM2-135M writes the next line number: logit(next) > logit(previous) on at least 90% of numbered lists", models=MODELS)
def test_numbered_lines_behaviour(model, pack, prompt_seed, evidence):
    """Thresholds: mean logit diff next - previous > 0 and accuracy >= 0.9 (the NL claims'
    reading of "the model does it")."""
    diff = pack.numbered_lines_attribution(prompt_seed).logits
    evidence.expect("mean logit diff next - previous number", diff.mean(), ">", 0.0, per_example=diff)
    evidence.expect("accuracy (next above previous)", (diff > 0).float().mean(), ">=", 0.9)


@prompt_seeds()
@claim("2.3", "The head with the largest direct effect on next - previous number attends mostly to the previous number (induction-like)",
       models=MODELS)
def test_numbered_lines_head_attends_to_the_previous_number(model, pack, prompt_seed, evidence):
    """Threshold 0.5 (more than half its attention) from the last newline to the previous line's
    number: the token after the previous newline, where an induction head looks (problem 2.3's
    question; our threshold)."""
    dla = pack.numbered_lines_attribution(prompt_seed).heads.mean(-1)
    layer, head = top_head(dla)
    positions = pack.numbered_lines(prompt_seed).positions
    patterns = pack.numbered_lines_attention(prompt_seed)
    attention = attention_to_targets_per_example(patterns, position_targets(patterns.shape[-1], positions["end"], positions["previous number"]))
    evidence.note("top DLA head (direct effect)", {head_name((layer, head)): round(float(dla[layer, head]), 2)})
    per_prompt = attention[layer, :, head]
    evidence.expect("its attention to the previous number", per_prompt.mean(), ">", 0.5, per_example=per_prompt)
