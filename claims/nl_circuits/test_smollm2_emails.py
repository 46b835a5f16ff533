"""Names to emails in SmolLM2-135M-Instruct (open problems 2.5, 2.6): a mail header with one
solved address, then a second person's "<" (``catalog.prompts.emails``, 100 per prompt seed):
the first token of the address is the second person's first name lowercased (format
"first.last", 2.5), or their last name (format "last.first", 2.6's "last name dot first name").
Behaviour: logit(answer) - logit(the other half of the name). Components: each prompt has a
corrupted twin with another second person; attribution patching ranks the heads by the logit
difference their clean output restores in the corrupted run (denoising), the top ones are then
patched together exactly, and the top one's attention says whether it is a copy head (reads the
name it copies). The patching claims run in the ``slow`` tier on every prompt seed (attribution
patching is a forward and backward pass; on 2 CPU cores the default tier's budget does not hold it).
Measured (prompt seeds 0 / 1 / 2): first.last holds (accuracy 0.99 / 1.0 / 0.99); the top heads are
L23H0, L29H1, L24H5 on every seed, recovering 0.97 / 0.96 / 1.01, and L23H0 attends 0.84 / 0.84 / 0.85
to the first name it copies. last.first is refuted (the model writes the first name anyway), so
its component claims are inconclusive.
"""

import torch

from harness import claim
from harness.claims.shared import expect_behaviour, prompt_seeds
from harness.interp.heads import named_scores, top_head, top_heads
from harness.interp.metrics import fraction_recovered

MODELS = ["smollm2-135m"]
N_HEADS = 3  # heads patched together
MOSTLY = 0.5  # "attends mostly to": more than half of the head's attention
MIN_GAP = 1.0  # clean - corrupted mean logit difference needed to normalise a recovery at all


def require_the_behaviour(evidence, nl, task: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(clean, corrupted) mean logit differences, after requiring their gap (``MIN_GAP``)."""
    clean, corrupted = nl.logit_attribution(task, seed).logits.mean(), nl.corrupted_logit_diff(task, seed).mean()
    evidence.require("clean - corrupted mean logit diff", clean - corrupted, ">", MIN_GAP)
    return clean, corrupted


def expect_heads_recover(evidence, nl, task: str, seed: int) -> None:
    """Patching the ``N_HEADS`` heads of largest attribution-patching effect recovers more than
    half of the clean - corrupted logit difference."""
    clean, corrupted = require_the_behaviour(evidence, nl, task, seed)
    heads = top_heads(nl.head_patching(task, seed), N_HEADS)
    patched = nl.corrupted_logit_diff(task, seed, tuple(heads)).mean()
    evidence.note("heads (attribution-patching estimate)", named_scores(nl.head_patching(task, seed), heads, 2))
    evidence.note("mean logit diff clean / corrupted / patched", [round(float(v), 2) for v in (clean, corrupted, patched)])
    evidence.expect(f"fraction recovered by the top {N_HEADS} heads", fraction_recovered(patched, clean, corrupted), ">", 0.5)


def expect_copy_head(evidence, nl, task: str, seed: int) -> None:
    """The head of largest attribution-patching effect attends from "<" mostly to the name the
    answer copies."""
    require_the_behaviour(evidence, nl, task, seed)
    layer, head = top_head(nl.head_patching(task, seed))
    attention = nl.attention_from_end(task, "answer name", seed)[layer, :, head]
    evidence.note("head (attribution-patching estimate)", named_scores(nl.head_patching(task, seed), [(layer, head)], 2))
    evidence.note("its mean attention to the other half of the name", round(float(nl.attention_from_end(task, "other name", seed)[layer, :, head].mean()), 3))
    evidence.expect("its attention to the name it copies", attention.mean(), ">", MOSTLY, per_example=attention)


@prompt_seeds()
@claim("2.5", "SmolLM2-135M writes a name as an address in the example's first.last format: logit(first name) > logit(last name) "
       "after '<' on at least 90% of prompts", models=MODELS)
def test_name_to_email_behaviour(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the NL claims' reading of "the model
    does it")."""
    expect_behaviour(evidence, nl.logit_attribution("emails first.last", prompt_seed).logits,
                     "mean logit diff first - last name", "accuracy (first above last name)")


@prompt_seeds()
@claim("2.6", "SmolLM2-135M follows an example's last.first address format: logit(last name) > logit(first name) after '<' "
       "on at least 90% of prompts", models=MODELS,
       refuted="the last name wins on 0% / 0% / 2% of the prompts (prompt seeds 0 / 1 / 2; mean logit diff -5.38 / -5.21 / "
               "-5.22): after a last.first example the model still starts the address with the first name")
def test_name_to_email_last_first_behaviour(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the NL claims' reading of "the model
    does it"); the format is problem 2.6's "last name dot first name", shown once."""
    expect_behaviour(evidence, nl.logit_attribution("emails last.first", prompt_seed).logits,
                     "mean logit diff last - first name", "accuracy (last above first name)")


@prompt_seeds(fast=None)
@claim("2.5", f"{N_HEADS} attention heads carry the name into the address: patched from the clean prompts into the corrupted ones "
       "(another person), they recover more than half of the logit difference", models=MODELS)
def test_name_to_email_heads_recover_the_name(model, nl, prompt_seed, evidence):
    """Our own hypothesis, threshold set before measuring: a few copy heads move the name to
    "<", so the top 3 heads by attribution patching (Nanda 2023), patched together (exact,
    every position), recover > 0.5 of clean - corrupted (Wang et al. 2022's normalisation).
    Requires clean - corrupted > 1 logit."""
    expect_heads_recover(evidence, nl, "emails first.last", prompt_seed)


@prompt_seeds(fast=None)
@claim("2.6", f"{N_HEADS} attention heads carry the last name into a last.first address: patched from the clean prompts into the "
       "corrupted ones, they recover more than half of the logit difference", models=MODELS)
def test_last_first_email_heads_recover_the_name(model, nl, prompt_seed, evidence):
    """As the 2.5 claim (our own threshold 0.5, set before measuring; the same precondition), on
    the last.first format."""
    expect_heads_recover(evidence, nl, "emails last.first", prompt_seed)


@prompt_seeds(fast=None)
@claim("2.5", "The head that restores the most when patched attends from '<' mostly to the first name it copies (a copy head)",
       models=MODELS)
def test_name_to_email_top_head_attends_to_the_name(model, nl, prompt_seed, evidence):
    """Our own hypothesis, threshold set before measuring: more than half (0.5) of the top
    attribution-patching head's attention from "<" on the second person's first name. Requires
    clean - corrupted > 1 logit (the model does it)."""
    expect_copy_head(evidence, nl, "emails first.last", prompt_seed)


@prompt_seeds(fast=None)
@claim("2.6", "The head that restores the most when patched attends from '<' mostly to the last name it copies (a copy head)",
       models=MODELS)
def test_last_first_email_top_head_attends_to_the_name(model, nl, prompt_seed, evidence):
    """As the 2.5 claim (our own threshold 0.5, set before measuring; the same precondition):
    attention on the second person's last name."""
    expect_copy_head(evidence, nl, "emails last.first", prompt_seed)
