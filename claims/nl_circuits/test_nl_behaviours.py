"""Natural-language behaviours of SmolLM2-135M-Instruct (4-bit quantised, dequantised): for each,
first that the model does it (logit difference correct - wrong at the last position, prompts
of catalog/prompts/natural_language.py), then one claim on where it happens, by direct logit attribution
(DLA) and the attention of the head with the largest direct effect.
"""

from harness import claim
from harness.claims.shared import expect_behaviour
from harness.interp.heads import head_name, named_scores, top_head
from harness.interp.ioi import attention_from_to

MODELS = ["smollm2-135m"]
MOSTLY = 0.5  # "attends mostly to": more than half of the head's attention


def expect_task_behaviour(evidence, nl, task):
    """``harness.claims.shared.expect_behaviour`` on the task's logit differences correct - wrong."""
    expect_behaviour(evidence, nl.logit_attribution(task).logits, f"{task}: mean logit diff correct - wrong",
                     f"{task}: accuracy (correct above wrong)")


def top_dla_head_attention(evidence, nl, task, keys):
    """Attention of the top DLA head from the last token to the positions ``keys`` (summed)."""
    dla = nl.head_dla(task)
    layer, head = top_head(dla)
    positions = nl.task(task).positions
    patterns = nl.attention(task)
    evidence.note("top DLA head", named_scores(dla, [(layer, head)], 2))
    return sum(attention_from_to(patterns, positions["end"], positions[key])[layer, head] for key in keys)


@claim("2.2", "SmolLM2-135M continues sequences (digits, weekdays, months) with the next item rather than repeating the last", models=MODELS)
def test_sequence_continuation_behaviour(model, nl, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the hypothesis: the model does it)."""
    expect_task_behaviour(evidence, nl, "sequence continuation")


@claim("2.2", "One attention head carries more than a quarter of all heads' direct effect on next item - last item", models=MODELS)
def test_sequence_continuation_has_a_next_item_head(model, nl, evidence):
    """Problem 2.2 (Hansen): GPT-2 head 9.1 outputs the next member of a sequence. Threshold
    0.25 of the summed direct effect of all heads for the top head (our reading of "a head")."""
    dla = nl.head_dla("sequence continuation")
    layer, head = top_head(dla)
    evidence.note("top DLA head", head_name((layer, head)))
    evidence.expect("top head's share of the heads' direct effect", dla[layer, head] / dla.sum(), ">", 0.25)


@claim("2.4", "SmolLM2-135M predicts the first token of a three-letter acronym rather than copying the previous acronym", models=MODELS)
def test_acronym_behaviour(model, nl, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the hypothesis: the model does it)."""
    expect_task_behaviour(evidence, nl, "acronyms")


@claim("2.4", "The head with the largest direct effect on the acronym attends from '(' mostly to the words being abbreviated", models=MODELS)
def test_acronym_head_attends_to_the_words(model, nl, evidence):
    """Threshold 0.5 on the summed attention to the three words of the second name (the
    letters must be read from them)."""
    attention = top_dla_head_attention(evidence, nl, "acronyms", ("word1", "word2", "word3"))
    evidence.expect("attention to the abbreviated words", attention, ">", MOSTLY)


@claim("2.8", "SmolLM2-135M prefers a capitalised word after a full stop, and a lowercase one after a comma", models=MODELS)
def test_capital_after_full_stop_behaviour(model, nl, evidence):
    """Thresholds: after ".", mean logit diff (capitalised - lowercase) > 0 and accuracy >= 0.9;
    after "," (control), mean logit diff < 0."""
    expect_task_behaviour(evidence, nl, "capital after full stop")
    comma = nl.logit_attribution("capital after comma").logits
    evidence.expect("after a comma: mean logit diff capitalised - lowercase", comma.mean(), "<", 0.0, per_example=comma)


@claim("2.8", "Capitalisation after a full stop is written mostly by MLP layers, not attention heads", models=MODELS)
def test_capital_after_full_stop_is_written_by_mlps(model, nl, evidence):
    """Our own hypothesis: the next word's case depends only on the current token ("."), a job
    for MLPs (Geva et al. 2021, MLPs as key-value memories promoting next tokens). Threshold:
    MLPs > 50% of the summed direct effect of heads and MLPs."""
    attribution = nl.logit_attribution("capital after full stop")
    heads, mlps = attribution.heads.mean(-1).sum(), attribution.mlps.mean(-1).sum()
    evidence.note("direct effect heads / MLPs", [round(float(heads), 2), round(float(mlps), 2)])
    evidence.expect("MLP share of the direct effect", mlps / (heads + mlps), ">", 0.5)


@claim("2.12", "SmolLM2-135M chooses the pronoun matching the name's gender in \"<name> is a great friend, isn't\"", models=MODELS,
       refuted="the mean logit diff is positive (1.42) but the right pronoun wins on only 81% of "
               "the 32 prompts")
def test_pronoun_behaviour(model, nl, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the hypothesis: the model does it)."""
    expect_task_behaviour(evidence, nl, "pronouns")


@claim("2.12", "The head with the largest direct effect on the pronoun attends mostly to the name", models=MODELS,
       refuted="the top DLA head, L26H2 (+1.08), pays 0.01 of its attention to the name: the "
               "gender reaches the last position earlier, through other components")
def test_pronoun_head_attends_to_the_name(model, nl, evidence):
    """Threshold 0.5: the gender is read from the name, so the head writing the pronoun should
    attend to it (our hypothesis)."""
    evidence.expect("attention to the name", top_dla_head_attention(evidence, nl, "pronouns", ("name",)), ">", MOSTLY)


@claim("2.14", "SmolLM2-135M closes the bracket it opened: ')' after '(', ']' after '[', '}' after '{'", models=MODELS)
def test_closing_bracket_behaviour(model, nl, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the hypothesis: the model does it)."""
    expect_task_behaviour(evidence, nl, "closing brackets")


@claim("2.14", "The head with the largest direct effect on the closing bracket attends mostly to the opening bracket", models=MODELS)
def test_closing_bracket_head_attends_to_the_opener(model, nl, evidence):
    """Threshold 0.5: the bracket type is read from the opener (our hypothesis)."""
    evidence.expect("attention to the opening bracket", top_dla_head_attention(evidence, nl, "closing brackets", ("open",)), ">", MOSTLY)
