"""A toy translation task (seed problem 5.30, soft induction): a sentence of distinct words of
language A, ``SEP``, then its word-by-word translation into language B under a fixed one-to-one
mapping, and the 2-layer attention-only transformer trained on it.

``BOS a_1 .. a_n SEP b_1 .. b_n PAD ..`` with ``b_i = TRANSLATION[a_i]`` and a length ``n``
drawn per sentence, so the offset between a B word and its source varies: a head that fetches
the source of the next word must find it by content (the aligned A word, then the one after
it: "soft induction"), not at a fixed distance."""

from __future__ import annotations

import torch

from catalog.sequences import answer_mask, distinct_values
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig

TR_BOS, TR_SEP, TR_PAD = 0, 1, 2
TR_WORDS = 40  # words per language
A_WORDS = torch.arange(3, 3 + TR_WORDS)
TRANSLATION = 3 + TR_WORDS + torch.randperm(TR_WORDS, generator=torch.Generator().manual_seed(0))  # a - 3 -> b
TR_VOCAB = 3 + 2 * TR_WORDS
TR_MIN_LEN, TR_MAX_LEN = 4, 10
TR_SEQ = 2 + 2 * TR_MAX_LEN


@register_task("translation")
def translation_task(gen: torch.Generator, batch: int):
    """Sentences of ``TR_MIN_LEN .. TR_MAX_LEN`` distinct A words and their translations, padded
    to ``TR_SEQ``; loss on the translation (from ``SEP`` to the last B word)."""
    lengths = torch.randint(TR_MIN_LEN, TR_MAX_LEN + 1, (batch,), generator=gen)
    words = A_WORDS[distinct_values(gen, batch, TR_MAX_LEN, TR_WORDS)]
    tokens = torch.full((batch, TR_SEQ), TR_PAD)
    mask = torch.zeros(batch, TR_SEQ - 1, dtype=torch.bool)
    for row, n in enumerate(lengths.tolist()):
        a = words[row, :n]
        tokens[row, : 2 * n + 2] = torch.cat([torch.tensor([TR_BOS]), a, torch.tensor([TR_SEP]), TRANSLATION[a - 3]])
        mask[row] = answer_mask(1, TR_SEQ, n + 1, 2 * n + 1)[0]
    return tokens, mask


def soft_induction_targets(tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]`` bool for translation sequences: from each B word ``b_i`` but the
    last to ``a_{i+1}``, the A word after ``b_i``'s source: the source of the next word."""
    batch, seq = tokens.shape
    targets = torch.zeros(batch, seq, seq, dtype=torch.bool)
    for row in range(batch):
        n = int((tokens[row] == TR_SEP).nonzero()[0]) - 1
        for i in range(1, n):
            targets[row, n + 1 + i, i + 1] = True
    return targets


register_model(ToyTransformerSpec(
    name="translate-attn-2l",
    description=(
        f"2-layer attention-only transformer (d_model 64, 4 heads, LayerNorm, vocab {TR_VOCAB}) trained 1000 "
        f"steps on toy translation ({TR_MIN_LEN}-{TR_MAX_LEN} distinct words of A, SEP, their word-by-word "
        f"translation into B under a fixed mapping); a checkpoint every 25 steps"
    ),
    arch=lm_arch(2, TR_SEQ, TR_VOCAB, attn_only=True),
    task="translation",
    train=TrainConfig(steps=1000, batch_size=64, lr=3e-3, warmup_steps=100, log_every=250, checkpoint_every=25),
))
