"""The 2.36 few-shot fixture (``claims.nl_circuits.conftest.FewShotMeasurements``) on a stub of the
``nl`` fixture with known logits, direct effects and attention: accuracy is the share of prompts
whose top token is the right label, the label heads are the top direct effects, and their
attention is summed over the right / other labels of each prompt, the other heads ignored."""

from __future__ import annotations

import types

import torch

from catalog.prompts.few_shot import SHOTS, few_shot_classification
from claims.nl_circuits.conftest import LABEL_HEADS, FewShotMeasurements
from tests.catalog.test_smollm2_section2_prompts import tokenizer  # noqa: F401 (a fixture)

N_LAYERS, N_HEADS, RIGHT_ATTENTION = 4, 3, 0.1
HEADS = [(3, 1), (2, 0), (1, 2)]  # the stub's label heads, best first


class StubNL:
    """Logits: the right label on even prompts (and above the wrong one), the wrong one on odd;
    direct effects: ``HEADS`` first; attention from the end: ``RIGHT_ATTENTION`` on each right
    label by the label heads, nothing on the other labels, 0.5 by every other head."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def task(self, name, seed):
        return few_shot_classification(self.tokenizer, int(name.split()[-1]), seed=seed)

    def last_logits(self, name, seed):
        task = self.task(name, seed)
        answers = torch.where(torch.arange(len(task.texts)) % 2 == 0, task.correct, task.wrong)
        return torch.nn.functional.one_hot(answers, len(self.tokenizer)).float()

    def logit_attribution(self, name, seed):
        diff = torch.where(torch.arange(len(self.task(name, seed).texts)) % 2 == 0, 1.0, -1.0)
        return types.SimpleNamespace(logits=diff)

    def head_dla(self, name, seed):
        scores = torch.zeros(N_LAYERS, N_HEADS)
        for rank, (layer, head) in enumerate(HEADS):
            scores[layer, head] = len(HEADS) - rank
        return scores

    def attention_from_end(self, name, key, seed):
        task = self.task(name, seed)
        right = task.tokens[torch.arange(len(task.texts)), task.positions[key]] == task.correct
        attention = torch.full((N_LAYERS, len(task.texts), N_HEADS), 0.5)
        for layer, head in HEADS:
            attention[layer, :, head] = RIGHT_ATTENTION * right
        return attention


def test_few_shot_measurements_read_accuracy_and_label_attention(tokenizer):
    few_shot = FewShotMeasurements(StubNL(tokenizer))
    assert [float(few_shot.correct(shots, 0).mean()) for shots in SHOTS] == [0.5] * len(SHOTS)
    assert torch.equal(few_shot.above_wrong(max(SHOTS), 0), few_shot.correct(max(SHOTS), 0))
    assert LABEL_HEADS == len(HEADS) and few_shot.label_heads(0) == HEADS
    attention = few_shot.label_attention(0)
    right_labels = max(SHOTS) // 2
    assert torch.allclose(attention["labels"], torch.full((100,), RIGHT_ATTENTION * right_labels))
    assert torch.equal(attention["labels"], attention["right labels"]) and (attention["other labels"] == 0).all()
