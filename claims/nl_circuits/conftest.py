"""The measurements the natural-language claims share, as the ``nl`` fixture: one object per
(model, seed), each task's prompts and measurements computed on first use."""

from __future__ import annotations

import functools

import torch

from catalog.prompts.natural_language import TASKS, NLTask
from harness.claims.shared import per_target
from harness.interp.dla import LogitAttribution, logit_attribution
from harness.interp.heads import attention_patterns


class NLMeasurements:
    def __init__(self, model):
        self.model = model

    @functools.cache
    def task(self, name: str) -> NLTask:
        """The prompts of task ``name`` (``catalog.prompts.natural_language.TASKS``) for the model's tokenizer."""
        return TASKS[name](self.model.tokenizer)

    @functools.cache
    def logit_attribution(self, task: str) -> LogitAttribution:
        """Direct logit attribution of logit(correct) - logit(wrong) at the last position."""
        batch = self.task(task)
        return logit_attribution(self.model, batch.tokens, batch.correct, batch.wrong)

    def head_dla(self, task: str) -> torch.Tensor:
        """[n_layers, n_heads]: mean direct effect of each head on logit(correct) - logit(wrong)."""
        return self.logit_attribution(task).heads.mean(-1)

    @functools.cache
    def attention(self, task: str) -> torch.Tensor:
        """[n_layers, n_prompts, n_heads, query, key]: every head's attention on the task."""
        return attention_patterns(self.model, self.task(task).tokens).cpu()


@per_target
def nl(model) -> NLMeasurements:
    """The shared natural-language measurements of the claim's model (once per model and seed)."""
    return NLMeasurements(model)
