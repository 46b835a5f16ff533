"""Pointer-arithmetic induction in SmolLM2-135M-Instruct (open problem 2.1): heads that attend
to the token ``k`` *after* the previous occurrence of the current token (k = 1 is ordinary
induction). Data: per prompt seed, 100 sequences of BOS, 20 uniform random tokens, the same 20
again (Olsson et al. 2022's induction data); the offset-k score of a head is its mean attention
to that key (``harness.interp.heads.offset_induction_targets``).
"""

from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.heads import DETECTOR_THRESHOLD, head_name, named_scores, top_head

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.1", "SmolLM2-135M has a pointer-arithmetic head: one attends to the token two after the previous occurrence (offset-2 score > 0.4)",
       models=MODELS, refuted="the best offset-2 head, L20H3, scores 0.31 / 0.30 / 0.30 (prompt seeds 0 / 1 / 2), "
                              "against 0.83 / 0.83 / 0.82 for the best induction head (L18H6); offset 3: 0.08")
def test_smollm2_has_an_offset_two_induction_head(model, pack, prompt_seed, evidence):
    """Threshold 0.4: ARENA's detector threshold for induction scores (mean attention to the
    target key), applied to the offset-2 target. The best head's per-sequence score is the
    spread; the best heads of offsets 1-3 are noted."""
    scores = pack.offset_scores(prompt_seed)
    means = {k: s.mean(1) for k, s in scores.items()}
    evidence.note("best head per offset", {k: named_scores(m, [top_head(m)], 2) for k, m in means.items()})
    layer, head = top_head(means[2])
    evidence.expect("max offset-2 induction score", means[2][layer, head], ">", DETECTOR_THRESHOLD, per_example=scores[2][layer, :, head])


@prompt_seeds()
@claim("2.1", "SmolLM2's best offset-2 head is not an ordinary induction head (its offset-1 score is below 0.4)", models=MODELS)
def test_offset_two_head_is_not_an_induction_head(model, pack, prompt_seed, evidence):
    """Our own hypothesis, set before measuring: pointer arithmetic is a head of its own, not
    an induction head's attention spilling onto the next token. Threshold 0.4 (ARENA's
    detector threshold). Requires an offset-2 head above 0.4."""
    means = {k: s.mean(1) for k, s in pack.offset_scores(prompt_seed).items()}
    best = top_head(means[2])
    evidence.require("max offset-2 induction score", means[2][best], ">", DETECTOR_THRESHOLD)
    evidence.note("head", head_name(best))
    evidence.expect("its offset-1 (induction) score", means[1][best], "<", DETECTOR_THRESHOLD)
