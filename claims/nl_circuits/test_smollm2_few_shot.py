"""Few-shot learning (open problem 2.36: "what's up with few-shot learning?"), asked of
SmolLM2-135M-Instruct as accuracy against the number of shots on a toy classification prompt
(``catalog.prompts.few_shot``: "- cat: animal\\n- plum: fruit\\n- pear:" -> " fruit", two of four
natural single-token labels a prompt, 100 prompts per shot count 0, 1, 2, 4, 8 and prompt seed),
and the heads that attend to the labels: the heads of largest direct effect (DLA) on
logit(right label) - logit(wrong label) at the query, with 8 demonstrations. The existing 2.36
claims (``test_smollm2_icl.py``) ask Olsson et al.'s in-context learning score on text; these ask
it on a task. Every prompt seed runs in the ``slow`` tier (five SmolLM2 passes a draw; about 75 s
cold with the model's load, 2 cores under load).
Measured (prompt seeds 0 / 1 / 2): top-1 accuracy at 0 / 1 / 2 / 4 / 8 shots 0.00 / 0.50 / 0.61 /
0.94 / 1.00, 0.00 / 0.50 / 0.62 / 0.92 / 0.98, 0.00 / 0.52 / 0.60 / 0.90 / 1.00 (with no example
the top token is never a label); but the right label is above the wrong one at 0 shots already
(0.97 / 0.93 / 0.96; 0.75-0.85 at 1 shot, 0.99-1.00 at 8): the examples teach the answer's form and
label set, the categories the model knows. The label heads (L29H1, L23H5, L23H7 on every draw)
put 0.22 / 0.22 / 0.22 of their attention on the 8 labels (refuted: not most; uniform attention
would give 8/44 = 0.18), but more on the right labels than on the others (+0.11 / +0.11 / +0.11;
per prompt minimum -0.06 / -0.05 / -0.08, 10th percentile +0.03 / +0.05 / +0.04).
"""

from catalog.pretrained import SMOLLM2
from catalog.prompts.few_shot import SHOTS, few_shot_task
from harness import claim
from harness.claims.shared import MOSTLY, prompt_seeds
from harness.interp.heads import named_scores

MODELS = [SMOLLM2]
MAX_SHOTS = max(SHOTS)
FEW_SHOT_ACCURACY = 0.8  # "the model learns the task from 8 examples": top-1 accuracy > 0.8 (our own)
SHOT_GAIN = 0.5  # "accuracy rises with shots": 8 shots beat 0 shots by more than half the prompts (our own)
CHANCE = 0.5  # one of the prompt's two labels at random


@prompt_seeds(fast=None)
@claim("2.36", "SmolLM2-135M learns a toy word classification from examples: the right label is its top token on more than "
       "80% of prompts with 8 demonstrations, and on more than 50% more prompts than with none", models=MODELS)
def test_few_shot_accuracy_rises_with_shots(model, few_shot, prompt_seed, evidence):
    """Our own hypothesis, thresholds set before measuring: top-1 accuracy with 8 shots > 0.8, and
    accuracy(8 shots) - accuracy(0 shots) > 0.5 (Brown et al. 2020, figure 1.2 and section 3:
    accuracy rises with the number of in-context examples; the sizes are ours). Top-1 over the
    whole vocabulary, as Brown et al. score a generated answer; the per-prompt spread is the
    paired difference (the same queries at every shot count)."""
    correct = {shots: few_shot.correct(shots, prompt_seed) for shots in SHOTS}
    evidence.note("top-1 accuracy by number of shots", {shots: round(float(c.mean()), 3) for shots, c in correct.items()})
    evidence.note("right label above the wrong one, by number of shots",
                  {shots: round(float(few_shot.above_wrong(shots, prompt_seed).mean()), 3) for shots in SHOTS})
    gain = correct[MAX_SHOTS] - correct[0]
    evidence.expect("accuracy with 8 shots - with 0 shots", gain.mean(), ">", SHOT_GAIN, per_example=gain)
    evidence.expect("top-1 accuracy with 8 shots", correct[MAX_SHOTS].mean(), ">", FEW_SHOT_ACCURACY)


def label_heads_attention(evidence, few_shot, nl, seed: int) -> dict:
    """The label heads' attention, after the precondition that the model does the task with 8
    shots above chance (else the heads of its direct effect would not be those of the task)."""
    evidence.require("top-1 accuracy with 8 shots", few_shot.correct(MAX_SHOTS, seed).mean(), ">", CHANCE)
    heads = few_shot.label_heads(seed)
    evidence.note("label heads (direct effect)", named_scores(nl.head_dla(few_shot_task(MAX_SHOTS), seed), heads, 2))
    return few_shot.label_attention(seed)


@prompt_seeds(fast=None)
@claim("2.36", "The 3 heads of largest direct effect on the right label at the query attend mostly to the demonstrations' "
       "label tokens: more than half their attention, with 8 shots", models=MODELS,
       refuted={f"{SMOLLM2}-seed0-prompts{seed}": f"the label heads (L29H1, L23H5, L23H7) put {share} of their attention on "
                "the 8 label tokens (per prompt 0.08 to 0.32), not most" for seed, share in ((0, 0.222), (1, 0.217), (2, 0.221))})
def test_label_heads_attend_to_the_labels(model, few_shot, nl, prompt_seed, evidence):
    """Our own hypothesis, threshold set before measuring: the heads that move the label into the
    answer read it at the labels, so the 3 top DLA heads' mean attention from the query to the 8
    label tokens (summed) is above ``MOSTLY`` (0.5; the label tokens are 8 of 44 positions).
    Requires top-1 accuracy with 8 shots above chance (0.5)."""
    attention = label_heads_attention(evidence, few_shot, nl, prompt_seed)["labels"]
    evidence.expect("label heads' attention to the labels", attention.mean(), ">", MOSTLY, per_example=attention)


@prompt_seeds(fast=None)
@claim("2.36", "The label heads attend more to the demonstrations whose label is the right answer than to the others",
       models=MODELS)
def test_label_heads_prefer_the_right_label(model, few_shot, nl, prompt_seed, evidence):
    """Our own hypothesis, threshold set before measuring: a head that copies the right label
    selects it by attending to it, so the 3 top DLA heads' attention to the 4 right-label tokens
    minus to the 4 other-label tokens is above 0 (mean over prompts). Requires top-1 accuracy with
    8 shots above chance (0.5)."""
    attention = label_heads_attention(evidence, few_shot, nl, prompt_seed)
    difference = attention["right labels"] - attention["other labels"]
    evidence.expect("attention to the right labels - to the other labels", difference.mean(), ">", 0.0, per_example=difference)
