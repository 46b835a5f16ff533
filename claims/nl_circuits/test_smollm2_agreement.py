"""Subject-verb number agreement across an attractor in SmolLM2-135M-Instruct (open problem 2.13,
our choice of natural-language behaviour): "The keys to the cabinet" -> " are", not " is"
(``catalog.prompts.agreement``, 100 prompts per prompt seed, subject and attractor always of
opposite number). First that the model does it (logit difference correct - wrong verb at the
attractor, the last position), then whether the head with the largest direct effect (DLA) reads
the subject's number where it is written: its attention from the attractor to the subject noun,
against the attractor itself.
Measured (prompt seeds 0 / 1 / 2): accuracy 0.76 / 0.73 / 0.76, refuted; the top DLA head is L26H0 on
every seed, 0.30 / 0.29 / 0.30 of its attention on the subject, 0.14 / 0.15 / 0.14 on the attractor, refuted.
"""

from harness import claim
from harness.claims.shared import expect_behaviour, expect_top_head_reads, prompt_seeds

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.13", "SmolLM2-135M makes the verb agree with the subject across an attractor of the other number: "
       "logit(agreeing verb) > logit(the attractor's) on at least 90% of prompts", models=MODELS,
       refuted="the agreeing verb wins on only 76% / 73% / 76% of the prompts (prompt seeds 0 / 1 / 2; mean logit diff +0.96 / +0.88 / +1.00)")
def test_agreement_across_attractor_behaviour(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the NL claims' reading of "the model
    does it"), on Finlayson et al. 2021's "across a prepositional phrase" template ("The <noun>
    <preposition> the <noun>"), the attractor always of the other number."""
    expect_behaviour(evidence, nl.logit_attribution("subject-verb agreement", prompt_seed).logits,
                     "mean logit diff agreeing - attractor's verb", "accuracy (agreeing verb above the other)")


@prompt_seeds()
@claim("2.13", "The head with the largest direct effect on the verb attends from the attractor mostly to the subject noun, "
       "more than to the attractor", models=MODELS,
       refuted="the top DLA head, L26H0 (prompt seeds 0 / 1 / 2, direct effect +0.54 / +0.55 / +0.65), puts 0.30 / 0.29 / 0.30 "
               "of its attention on the subject: more than on the attractor (0.14 / 0.15 / 0.14), but not most")
def test_agreement_head_attends_to_the_subject(model, nl, prompt_seed, evidence):
    """Our own hypothesis, thresholds set before measuring: the number is read from the subject
    noun, so the head writing the verb puts more than half its attention (0.5) on it, and more
    than on the attractor (mean per-prompt difference > 0)."""
    expect_top_head_reads(evidence, nl, "subject-verb agreement", prompt_seed, "subject", "attractor")
