"""catalog.prompts.word_translation with the real SmolLM2 tokenizer: every pair is one token per
word, prompts tokenize as their pieces, the answer is the query's translation (wrong: its
English word), positions point at the source word and the previous translation, sets are seeded."""

from __future__ import annotations

import pytest
import torch

from catalog.prompts.word_translation import N_SHOTS, PAIRS, translation_ids, translation_pairs, word_translations
from tests.catalog.test_smollm2_section2_prompts import assert_natural_tokens, decoded, tokenizer  # noqa: F401 (a fixture)


def test_every_pair_is_one_token_per_word_for_smollm2(tokenizer):
    assert translation_pairs(tokenizer) == list(PAIRS)
    english, french = translation_ids(tokenizer)
    assert [tokenizer.decode(t) for t in english] == [f" {e}" for e, _ in PAIRS]
    assert [tokenizer.decode(t) for t in french] == [f" {f}" for _, f in PAIRS]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_word_translations_answer_the_source_words_translation(tokenizer, seed):
    task = word_translations(tokenizer, seed=seed)
    assert_natural_tokens(tokenizer, task)
    french = dict(PAIRS)
    sources = decoded(tokenizer, task, "source")
    assert [tokenizer.decode(t).strip() for t in task.correct] == [french[s] for s in sources]
    assert [tokenizer.decode(t).strip() for t in task.wrong] == sources
    previous = decoded(tokenizer, task, "previous translation")
    assert all(p in french.values() and p != french[s] for p, s in zip(previous, sources))
    assert all(text.count("English:") == N_SHOTS + 1 and text.endswith(" - French:") for text in task.texts)
    assert not torch.equal(task.tokens, word_translations(tokenizer, seed=seed + 1).tokens)
