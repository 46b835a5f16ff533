"""Fuzzy induction heads (open problem 2.35): heads that attend from a repeated word to the word
after its earlier occurrence when the repeat is only *similar* (" Apple" after " apple": another
token), scored against exact induction on the same sequences (``catalog.prompts.repeats``: 20
distinct common words, then the same words exactly or capitalised; 20 sequences per prompt
seed). The score is the mean attention to the exact repeat's induction target (Olsson et al.
2022's induction score, with the target taken from the exact twin).

The seed list asks this of GPT-J or GPT-NeoX; neither fits here. The hub twin is Pythia-70M
(``pythia-70m``, trained with the GPT-NeoX library and architecture), skipped where its weights
are absent.
Measured on SmolLM2 (prompt seeds 0 / 1 / 2): the best fuzzy head, L18H6, scores 0.85 / 0.81 / 0.83
(0.88 / 0.86 / 0.86 exact); the 5 best exact heads (L18H6, L17H3-5, L18H7) keep 0.86 / 0.81 / 0.84
of their score.
"""

from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.heads import DETECTOR_THRESHOLD, named_scores, top_head, top_heads

MODELS = ["smollm2-135m", "pythia-70m"]
TOP = 5  # the exact induction heads compared
MOST = 0.5  # "keep most of": more than half


@prompt_seeds()
@claim("2.35", "The model has a fuzzy induction head: from a capitalised repeat (' Apple') one head attends to the word after "
       "the lowercase original with score > 0.4", models=MODELS)
def test_has_fuzzy_induction_head(model, repeats, prompt_seed, evidence):
    """Threshold 0.4: ARENA's detector threshold for induction scores, on the case-changed
    repeats' target. The best head's per-sequence score is the spread."""
    scores = repeats.word_repeat_scores(prompt_seed)["case-changed"]
    layer, head = top_head(scores.mean(1))
    evidence.note("best fuzzy head", named_scores(scores.mean(1), [(layer, head)], 2))
    evidence.expect("max case-changed induction score", scores.mean(1)[layer, head], ">", DETECTOR_THRESHOLD, per_example=scores[layer, :, head])


@prompt_seeds()
@claim("2.35", f"The model's induction heads are fuzzy: its {TOP} best exact induction heads keep more than half of their "
       "score when the repeat is capitalised", models=MODELS)
def test_induction_heads_are_fuzzy(model, repeats, prompt_seed, evidence):
    """Our own hypothesis, threshold set before measuring: induction matches on what a token
    means rather than its id, so the 5 best heads on exact word repeats keep more than half (0.5)
    of their summed score on the case-changed repeats of the same words."""
    scores = {k: s.mean(1) for k, s in repeats.word_repeat_scores(prompt_seed).items()}
    heads = top_heads(scores["exact"], TOP)
    evidence.note("exact / case-changed scores", {k: named_scores(s, heads, 2) for k, s in scores.items()})
    kept = sum(scores["case-changed"][h] for h in heads) / sum(scores["exact"][h] for h in heads)
    evidence.expect("case-changed / exact score of the top heads", kept, ">", MOST)
