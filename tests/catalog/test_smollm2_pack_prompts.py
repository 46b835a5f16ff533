"""catalog.prompts.numbers and catalog.prompts.text with the real SmolLM2 tokenizer: every
answer the metrics read is one token, positions point at their pieces, sets are seeded."""

from __future__ import annotations

import pytest
import torch

from catalog.prompts.facts import CAPITALS, capital_prompts
from catalog.prompts.numbers import N_LINES, numbered_lines, two_digit_addition
from catalog.prompts.text import CONTINUATION, MIN_PREFIX, docstring_corpus, memorised_prompts
from harness.models.memory_cache import cache_root
from harness.models.pretrained.smollm2_wheel import smollm2_local_dir


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_local_dir(cache_root()), local_files_only=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numbered_lines_predict_the_next_number(tokenizer, seed):
    task = numbered_lines(tokenizer, seed=seed)
    rows = torch.arange(len(task.texts))
    assert len(task.texts) >= 100 and task.tokens.shape == (100, 1 + 4 * N_LINES)
    previous = [int(tokenizer.decode(t)) for t in task.tokens[rows, task.positions["previous number"]]]
    assert [int(tokenizer.decode(t)) for t in task.correct] == [p + 1 for p in previous]
    assert [int(tokenizer.decode(t)) for t in task.wrong] == previous
    assert all(text.endswith("\n") for text in task.texts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_addition_answers_are_the_sums_digit_by_digit(tokenizer, seed):
    prompts = two_digit_addition(tokenizer, seed=seed)
    assert prompts.tokens.shape[0] >= 100
    for text, row, answer in zip(prompts.texts, prompts.tokens, prompts.answers):
        assert tokenizer.decode(row[1:]) == text
        a, b = text.split("\n")[-1].split("=")[0].split("+")
        assert tokenizer.decode(answer) == str(int(a) + int(b)) and tokenizer.decode(row[prompts.positions[0]]) == "="


def test_memorised_prompts_leave_a_prefix_and_a_whole_continuation(tokenizer):
    prompts = memorised_prompts(tokenizer, seed=1)
    assert len(prompts.cut) == 100 and (prompts.cut >= MIN_PREFIX).all()
    assert (prompts.cut + CONTINUATION < prompts.lengths[prompts.passage]).all()
    assert (prompts.tokens[:, 0] == tokenizer.bos_token_id).all()
    assert not torch.equal(prompts.cut, memorised_prompts(tokenizer, seed=2).cut)


def test_docstring_corpus_is_seeded_prose_windows(tokenizer):
    corpus = docstring_corpus(tokenizer, seed=0)
    assert corpus.shape == (100, 33) and (corpus[:, 0] == tokenizer.bos_token_id).all()
    assert torch.equal(corpus, docstring_corpus(tokenizer, seed=0))
    assert not torch.equal(corpus, docstring_corpus(tokenizer, seed=1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capital_prompts_have_one_token_subjects_and_answers(tokenizer, seed):
    batches = capital_prompts(tokenizer, seed=seed)
    assert sum(len(b.texts) for b in batches) == 100
    for batch in batches:
        rows = torch.arange(len(batch.texts))
        for text, row, country in zip(batch.texts, batch.tokens, batch.tokens[rows, batch.subject]):
            assert tokenizer.decode(row[1:]) == text and tokenizer.decode(country).strip() in text
        capitals = dict(CAPITALS)
        assert [tokenizer.decode(a).strip() for a in batch.answers] == [capitals[tokenizer.decode(c).strip()] for c in batch.tokens[rows, batch.subject]]
