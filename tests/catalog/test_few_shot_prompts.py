"""catalog.prompts.few_shot with the real SmolLM2 tokenizer: prompts tokenize as their pieces (the
labels and words one token each), the answer is the query's category (wrong: the prompt's other
label), label positions point at labels, labels are balanced, the shot counts share their
queries, sets are seeded."""

from __future__ import annotations

import collections

import pytest
import torch

from catalog.prompts.few_shot import CATEGORIES, SHOTS, few_shot_classification, label_key
from tests.catalog.test_smollm2_section2_prompts import assert_natural_tokens, decoded, tokenizer  # noqa: F401 (a fixture)

CATEGORY = {word: category for category, words in CATEGORIES.items() for word in words}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_few_shot_prompts_answer_the_querys_category(tokenizer, seed):
    tasks = {shots: few_shot_classification(tokenizer, shots, seed=seed) for shots in SHOTS}
    for shots, task in tasks.items():
        assert_natural_tokens(tokenizer, task)
        queries = [text.split("- ")[-1][:-1] for text in task.texts]
        assert [tokenizer.decode(t).strip() for t in task.correct] == [CATEGORY[q] for q in queries]
        assert all(c != w for c, w in zip(task.correct, task.wrong))
        for i in range(shots):
            labels = decoded(tokenizer, task, label_key(i + 1))
            assert all(label in CATEGORIES for label in labels)
        assert all(text.count("\n") == shots for text in task.texts)
    # the same queries and labels at every shot count: accuracies are paired per prompt
    for task in tasks.values():
        assert torch.equal(task.correct, tasks[0].correct) and torch.equal(task.tokens[:, -2], tasks[0].tokens[:, -2])
    assert not torch.equal(tasks[8].tokens, few_shot_classification(tokenizer, 8, seed=seed + 1).tokens)


def test_few_shot_labels_are_balanced(tokenizer):
    task = few_shot_classification(tokenizer, max(SHOTS))
    assert set(collections.Counter(tokenizer.decode(t) for t in task.correct).values()) == {len(task.texts) // len(CATEGORIES)}
    labels = torch.stack([task.tokens[torch.arange(len(task.texts)), task.positions[label_key(i + 1)]] for i in range(max(SHOTS))])
    right = labels == task.correct
    for shots in (2, 4, 8):  # every even prefix has as many demonstrations of each label
        assert (right[:shots].sum(0) == shots // 2).all()
