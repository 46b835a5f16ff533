"""catalog.prompts.agreement, .strings and .repeats with the real SmolLM2 tokenizer: prompts
tokenize as their pieces (answers one token), answers follow the subject / the opening quote,
repeats are the same words (exactly or capitalised), sets are seeded."""

from __future__ import annotations

import pytest
import torch

from catalog.prompts.agreement import subject_verb_agreement
from catalog.prompts.repeats import WORDS, single_token_words, word_repeats
from catalog.prompts.strings import matching_quotes
from tests.catalog.test_smollm2_section2_prompts import assert_natural_tokens, tokenizer  # noqa: F401 (a fixture)


def piece(tokenizer, task, key: str) -> list[str]:
    return [tokenizer.decode(t) for t in task.tokens[torch.arange(len(task.texts)), task.positions[key]]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agreement_answers_the_subjects_number(tokenizer, seed):
    task = subject_verb_agreement(tokenizer, seed=seed)
    assert_natural_tokens(tokenizer, task)
    plural = [s.endswith("s") for s in piece(tokenizer, task, "subject")]
    assert [a.endswith("s") for a in piece(tokenizer, task, "attractor")] == [not p for p in plural]
    assert sum(plural) == 50
    verbs = [tokenizer.decode(t) for t in task.correct]
    assert [v in (" are", " were") for v in verbs] == plural
    assert {(tokenizer.decode(c), tokenizer.decode(w)) for c, w in zip(task.correct, task.wrong)} <= {
        (" is", " are"), (" are", " is"), (" was", " were"), (" were", " was")}
    assert (task.positions["attractor"] == task.positions["end"]).all()
    assert not torch.equal(task.tokens, subject_verb_agreement(tokenizer, seed=seed + 1).tokens)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matching_quotes_answer_the_open_strings_quote(tokenizer, seed):
    task = matching_quotes(tokenizer, seed=seed)
    assert_natural_tokens(tokenizer, task)
    assert [tokenizer.decode(t) for t in task.correct] == [q.strip() for q in piece(tokenizer, task, "open")]
    assert [tokenizer.decode(t) for t in task.wrong] == [q.strip() for q in piece(tokenizer, task, "other")]
    assert (task.correct != task.wrong).all() and sum(tokenizer.decode(t) == '"' for t in task.correct) == 50
    assert not torch.equal(task.tokens, matching_quotes(tokenizer, seed=seed + 1).tokens)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_word_repeats_repeat_the_words_exactly_or_capitalised(tokenizer, seed):
    assert single_token_words(tokenizer) == list(WORDS)
    repeats = word_repeats(tokenizer, seed=seed)
    assert repeats.exact.shape == repeats.case_changed.shape == (20, 41)
    assert torch.equal(repeats.exact[:, :21], repeats.case_changed[:, :21])
    assert torch.equal(repeats.exact[:, 1:21], repeats.exact[:, 21:])
    for exact, changed in zip(repeats.exact[:, 21:], repeats.case_changed[:, 21:]):
        assert [" " + tokenizer.decode(t).strip().capitalize() for t in exact] == [tokenizer.decode(t) for t in changed]
        assert len(set(exact.tolist())) == 20 and not set(exact.tolist()) & set(changed.tolist())
    assert not torch.equal(repeats.exact, word_repeats(tokenizer, seed=seed + 1).exact)
