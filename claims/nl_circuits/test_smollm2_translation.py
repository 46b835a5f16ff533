"""Translation heads (open problem 2.34: "GPT-J contains translation heads. Can you interpret how
they work and what they do?"), asked of SmolLM2-135M-Instruct, with GPT-J 6B as the hub twin
(skipped where its weights are absent). Few-shot English -> French word translation
(``catalog.prompts.word_translation``, 100 prompts per prompt seed): "English: bread - French:"
-> " pain", the wrong answer being the English word copied. First that the model translates
(logit(French) - logit(English) at the last position); then the head with the largest direct
effect (DLA) on that difference: does it attend from the answer position to the source word (more
than to the last example's French word, which a head copying French tokens would read), and does
its OV circuit map the source word's embedding to its own translation, above the other French
words of the list? The head claims require the behaviour (inconclusive where the model does not
translate). Every prompt seed runs in the ``slow`` tier (a full SmolLM2 pass a draw).
Measured (prompt seeds 0 / 1 / 2): refuted, SmolLM2 does not translate (accuracy 0.23 / 0.23 / 0.20;
its top token is the English word on 22-28% of prompts, the French one on 5-9%, another token on
the rest), so both head claims are inconclusive on SmolLM2; the GPT-J twin asks them where its
weights are.
"""

from catalog.pretrained import GPT_J, SMOLLM2
from catalog.prompts.word_translation import translation_ids
from harness import claim
from harness.claims.shared import BEHAVIOUR_ACCURACY, expect_behaviour, expect_top_head_reads, prompt_seeds
from harness.interp.heads import named_scores, ov_pair_ranks, top_head

MODELS = [SMOLLM2, GPT_J]
TASK = "word translations"
ACCURACY = "accuracy (French above English word)"
REFUTED = ("the French word wins on 23% / 23% / 20% of prompts (prompt seeds 0 / 1 / 2; mean logit diff -2.20 / -2.52 / "
           "-3.16) and is the top token on 5% / 8% / 9%, the English word on 22% / 28% / 28%: SmolLM2-135M does not "
           "translate single words in this few-shot format")
OV_TOP1 = 0.5  # "maps each word to its translation": first among the list's French words for more than half the pairs


def require_translation(evidence, nl, seed: int) -> None:
    """The head claims test the translation only where the model translates (``BEHAVIOUR_ACCURACY``)."""
    diff = nl.logit_attribution(TASK, seed).logits
    evidence.require(ACCURACY, (diff > 0).float().mean(), ">=", BEHAVIOUR_ACCURACY)


@prompt_seeds(fast=None)
@claim("2.34", "The model translates English words into French in a few-shot prompt: logit(French word) > "
       "logit(English word) on at least 90% of prompts", models=MODELS,
       refuted={f"{SMOLLM2}-seed0-prompts{seed}": REFUTED for seed in (0, 1, 2)})
def test_word_translation_behaviour(model, nl, prompt_seed, evidence):
    """Thresholds: mean logit diff > 0 and accuracy >= 0.9 (the NL claims' reading of "the model
    does it"), set before measuring."""
    top = nl.last_logits(TASK, prompt_seed).argmax(-1)
    batch = nl.task(TASK, prompt_seed)
    evidence.note("share of prompts whose top token is the French / the English word",
                  [round(float((top == answer).float().mean()), 2) for answer in (batch.correct, batch.wrong)])
    expect_behaviour(evidence, nl.logit_attribution(TASK, prompt_seed).logits, "mean logit diff French - English word", ACCURACY)


@prompt_seeds(fast=None)
@claim("2.34", "The head with the largest direct effect on the translation attends from the answer position mostly to the "
       "source word, more than to the last example's French word", models=MODELS)
def test_translation_head_attends_to_the_source_word(model, nl, prompt_seed, evidence):
    """Our own hypothesis, thresholds set before measuring: a translation head reads the word it
    translates, so the top DLA head puts more than half its attention (0.5) on the source word,
    and more than on the previous translation (mean per-prompt difference > 0). Requires
    accuracy >= 0.9."""
    require_translation(evidence, nl, prompt_seed)
    expect_top_head_reads(evidence, nl, TASK, prompt_seed, "source", "previous translation")


@prompt_seeds(fast=None)
@claim("2.34", "The OV circuit of the head with the largest direct effect on the translation maps an English word's "
       "embedding to its own French translation, above the other French words of the list, for more than half the "
       "words", models=MODELS)
def test_translation_head_ov_maps_words_to_their_translation(model, nl, prompt_seed, evidence):
    """Our own hypothesis, threshold set before measuring: the head translates in its OV circuit
    W_E W_V W_O W_U (Elhage et al. 2021's reading of a head's OV, no norm): the row of each
    English word ranks its translation first among the list's French words for more than half
    (0.5) of the pairs (chance: 1 / the number of pairs). Deviation: the raw token embedding
    stands for what the head reads at the source position (in a deep model the residual stream
    there holds more than the embedding). Requires accuracy >= 0.9."""
    require_translation(evidence, nl, prompt_seed)
    head = top_head(nl.head_dla(TASK, prompt_seed))
    english, french = translation_ids(model.tokenizer)
    ranks = ov_pair_ranks(model, head, english, french)
    evidence.note("top DLA head (direct effect)", named_scores(nl.head_dla(TASK, prompt_seed), [head], 2))
    evidence.note("chance of a first rank", round(1 / len(french), 3))
    evidence.expect("share of words whose translation ranks first", (ranks == 0).float().mean(), ">", OV_TOP1,
                    per_example=ranks.float())
