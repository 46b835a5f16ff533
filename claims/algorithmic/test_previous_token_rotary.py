"""Predicting the previous token with a 1-layer attention-only rotary transformer (seed problem
3.21): ``prev-token-rotary-1l`` (d_model 64, 4 heads, rotary on 16 of 16 head dims, vocab 64,
context 24; catalog/sequences.py). Evaluation: 256 fresh random sequences (seed 1000)."""

import torch

from catalog.sequences import PREV_SEQ
from harness import claim
from harness.interp.accuracy import task_accuracy
from harness.interp.heads import previous_token_scores
from harness.models.tasks import task_batch

SEEDS = [0, 1, 2]
MODEL = ["prev-token-rotary-1l"]


@claim("3.21", "A 1-layer attention-only rotary model predicts the previous token (> 99% accuracy)", models=MODEL, seeds=SEEDS)
def test_predicts_previous_token(model, evidence):
    """Threshold 99%: one head attending to the previous position solves it exactly."""
    evidence.expect("accuracy", task_accuracy(model, task_batch("previous-token", 256, 1000)), ">", 0.99)


@claim("3.21", "A head attends almost only (> 90%) to the previous position", models=MODEL, seeds=SEEDS)
def test_has_previous_token_head(model, evidence):
    """Threshold 0.9: near-exact previous-token attention is needed for > 99% accuracy."""
    tokens, _, _ = task_batch("previous-token", 256, 1000)
    evidence.expect("max previous-token score", previous_token_scores(model, tokens).max(), ">", 0.9)


@claim("3.21", "The previous-token attention is content-independent: on a sequence of one repeated token it stays > 90%",
       models=MODEL, seeds=SEEDS)
def test_previous_token_attention_is_positional(model, evidence):
    """Rotary embeddings make query-key scores depend on relative position; with identical
    tokens only that is left, so a positional mechanism keeps the 0.9 score of the random-token
    claim. Each of the 64 tokens, repeated 24 times."""
    tokens = torch.arange(model.cfg.d_vocab)[:, None].expand(-1, PREV_SEQ).contiguous()
    evidence.expect("max previous-token score on constant sequences", previous_token_scores(model, tokens).max(), ">", 0.9)
