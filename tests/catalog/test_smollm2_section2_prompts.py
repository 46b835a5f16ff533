"""catalog.prompts.code, catalog.prompts.emails and catalog.prompts.numbers.counting with the real
SmolLM2 tokenizer: the prompts tokenize as their pieces (the answer one token), positions point
at their pieces, corrupted twins differ only in the second person, sets are seeded."""

from __future__ import annotations

import pytest
import torch

from catalog.prompts.code import html_closing_tags, methods_by_type
from catalog.prompts.emails import ANSWER, ORDERS, email_prompts
from catalog.prompts.numbers import N_ITEMS, counting
from harness.models.memory_cache import cache_root
from harness.models.pretrained.smollm2_wheel import smollm2_local_dir


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_local_dir(cache_root()), local_files_only=True)


def decoded(tokenizer, task, key: str) -> list[str]:
    return [tokenizer.decode(t).strip() for t in task.tokens[torch.arange(len(task.texts)), task.positions[key]]]


def assert_natural_tokens(tokenizer, task) -> None:
    """100 prompts, each tokenized whole as it is built from its pieces, after BOS."""
    assert len(task.texts) == 100 and (task.tokens[:, 0] == tokenizer.bos_token_id).all()
    for text, row in zip(task.texts, task.tokens):
        assert tokenizer.encode(text, add_special_tokens=False) == row[1:].tolist()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_html_closing_tags_answer_the_middle_open_tag(tokenizer, seed):
    task = html_closing_tags(tokenizer, seed=seed)
    assert_natural_tokens(tokenizer, task)
    assert [tokenizer.decode(t) for t in task.correct] == decoded(tokenizer, task, "open")
    assert [tokenizer.decode(t) for t in task.wrong] == decoded(tokenizer, task, "outer")
    assert all(text.endswith("></") for text in task.texts)
    assert not torch.equal(task.tokens, html_closing_tags(tokenizer, seed=seed + 1).tokens)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_methods_by_type_answer_the_queried_variables_method(tokenizer, seed):
    task = methods_by_type(tokenizer, seed=seed)
    assert_natural_tokens(tokenizer, task)
    method = {"[]": "append", "{}": "update"}
    assert [tokenizer.decode(t) for t in task.correct] == [method[t] for t in decoded(tokenizer, task, "type")]
    assert [tokenizer.decode(t) for t in task.wrong] == [method[t] for t in decoded(tokenizer, task, "other type")]
    for text, literal in zip(task.texts, decoded(tokenizer, task, "type")):
        assert f"\n{text.split(chr(10))[-1][:-1]} = {literal}" in "\n" + text
    assert {tokenizer.decode(t) for t in task.correct} == {"append", "update"}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_email_answers_follow_the_examples_format(tokenizer, seed, order):
    task = email_prompts(tokenizer, order, seed=seed)
    assert_natural_tokens(tokenizer, task)
    assert [tokenizer.decode(t) for t in task.correct] == [name.lower() for name in decoded(tokenizer, task, "answer name")]
    assert [tokenizer.decode(t) for t in task.wrong] == [name.lower() for name in decoded(tokenizer, task, "other name")]
    for text in task.texts:
        first, last = text.split(": ")[1].split(" <")[0].split()
        local = text.split("<")[1].split("@")[0]
        assert local == (f"{first}.{last}" if order == "first.last" else f"{last}.{first}").lower()
    differs = task.tokens != task.corrupted
    assert not differs[:, : ANSWER + 1].any() and differs[:, ANSWER + 1 : ANSWER + 3].all() and not differs[:, ANSWER + 3 :].any()


def test_email_order_is_checked(tokenizer):
    with pytest.raises(ValueError, match="order"):
        email_prompts(tokenizer, "first_last")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counting_answers_are_the_counts(tokenizer, seed):
    task = counting(tokenizer, seed=seed)
    assert_natural_tokens(tokenizer, task)
    for text, correct, wrong in zip(task.texts, task.correct, task.wrong):
        items, question = text.split(": ")[1].split(". ")
        fruit = question.split(" of ")[1].split()[0][:-1]
        basket = [item.strip() for item in items.split(",")]
        assert len(basket) == N_ITEMS and len(set(basket)) == 2
        assert int(tokenizer.decode(correct)) == basket.count(fruit) and int(tokenizer.decode(wrong)) == N_ITEMS - basket.count(fruit)
    counts = torch.tensor([int(tokenizer.decode(t)) for t in task.correct])
    assert set(counts.tolist()) == set(range(1, N_ITEMS)) and counts.bincount().max() - counts.bincount()[1:].min() <= 1
