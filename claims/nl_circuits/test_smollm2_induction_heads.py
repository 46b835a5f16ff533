"""Why SmolLM2-135M-Instruct has so many induction heads (open problem 2.29): how many there are,
whether they specialise in a kind of repeated text, and whether they back each other up.

Data, per prompt seed: the pack's 100 repeated random-token sequences (BOS, 20 tokens, the same
20 again; Olsson et al. 2022's induction data, shared with the 2.1 claims) and 20 repeated word
sequences (``catalog.prompts.repeats``: 20 distinct common words, the same 20 again). A head's
induction score is its mean attention from a repeated token to the token after its first
occurrence; "an induction head" scores above 0.4 on random tokens (ARENA's detector threshold).
Measured (prompt seed 0): 7 induction heads (L17H3-5, L18H6, L18H7, L23H2, L23H7); none
specialises in random tokens or words (refuted); mean-ablating the best one (L18H6) raises the
repeated-half loss by 1.40 nats, all seven by 5.77 (4.81 clean): a share of 0.24, they back
each other up.
"""

from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.heads import DETECTOR_THRESHOLD, head_name, heads_above, named_scores

MODELS = ["smollm2-135m"]
MANY = 5  # "so many": at least five induction heads (our reading, set before measuring)
LOW = 0.2  # a head "does not do" induction on a kind of text below half the detector threshold (ours)
MOST = 0.5  # "most of": more than half


@prompt_seeds()
@claim("2.29", f"SmolLM2-135M has at least {MANY} induction heads (score > 0.4 on repeated random tokens)", models=MODELS)
def test_smollm2_has_many_induction_heads(model, repeats, prompt_seed, evidence):
    """Threshold: at least 5 heads above 0.4 (ARENA's detector threshold on Olsson et al.'s
    induction score); 5 is our own reading of "so many", set before measuring."""
    heads = repeats.induction_heads(prompt_seed)
    evidence.note("induction heads", named_scores(repeats.pack.offset_scores(prompt_seed)[1].mean(1), heads, 2))
    evidence.expect("induction heads above 0.4", len(heads), ">=", MANY)


@prompt_seeds()
@claim("2.29", "SmolLM2's induction heads specialise by the kind of repeated text: one of the heads above 0.4 on repeated "
       "random tokens or on repeated words scores below 0.2 on the other kind", models=MODELS,
       refuted={"smollm2-135m-seed0-prompts0": "every head above 0.4 on one kind scores at least 0.27 on the other "
                "(L17H3-5, L18H6, L18H7 above 0.4 on both; L23H2 0.45 / 0.39 and L23H7 0.42 / 0.27 on random tokens / "
                "words): no head specialises",
                "smollm2-135m-seed0-prompts1": "the lowest score of an induction head on either kind is 0.25 (L23H7 on words)",
                "smollm2-135m-seed0-prompts2": "the lowest score of an induction head on either kind is 0.27 (L23H7 on words)"})
def test_induction_heads_specialise_by_text(model, repeats, prompt_seed, evidence):
    """Our own hypothesis, thresholds set before measuring: if the heads specialise, some head is
    an induction head (> 0.4) on one kind of repeat and not (< 0.2, half the detector threshold)
    on the other. The measurement is the lowest other-kind score among the heads above 0.4 on
    either kind."""
    scores = {"random tokens": repeats.pack.offset_scores(prompt_seed)[1].mean(1),
              "words": repeats.word_repeat_scores(prompt_seed)["exact"].mean(1)}
    heads = sorted({h for s in scores.values() for h in heads_above(s, DETECTOR_THRESHOLD)})
    evidence.note("scores random tokens / words", {head_name(h): [round(float(s[h]), 2) for s in scores.values()] for h in heads})
    evidence.expect("lowest score of an induction head on either kind", min(min(float(s[h]) for s in scores.values()) for h in heads), "<", LOW)


@prompt_seeds(fast=None)
@claim("2.29", "SmolLM2's induction heads back each other up: mean-ablating the best one alone costs less than half the "
       "repeated-half loss that ablating all of them costs", models=MODELS)
def test_induction_heads_are_redundant(model, repeats, prompt_seed, evidence):
    """Our own hypothesis, threshold set before measuring: many heads doing one job means
    redundancy, so the best head alone accounts for less than half (0.5) of the loss increase on
    the repeated half when every head above 0.4 is mean-ablated (32 sequences, means over
    another batch). Requires that ablating them all raises the loss by more than 1 nat (claim
    2.11's threshold: the heads matter at all)."""
    losses = repeats.ablated_repeat_losses(prompt_seed)
    evidence.note("repeated-half loss clean / best head / all heads ablated", {k: round(v, 3) for k, v in losses.items()})
    evidence.require("loss increase, all induction heads ablated (nats)", losses["all heads"] - losses["clean"], ">", 1.0)
    share = (losses["top head"] - losses["clean"]) / (losses["all heads"] - losses["clean"])
    evidence.expect("best head's share of the loss increase", share, "<", MOST)
