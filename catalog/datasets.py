"""Dataset builders: seeded token batches for training tasks and for measurements."""

from __future__ import annotations

import torch

from harness.models.tasks import register_task

BOS = 0  # toy models reserve token 0 as beginning-of-sequence
REPEAT_HALF_LEN = 20  # Olsson et al. 2022's induction evaluation: BOS, 20 random tokens, the same 20 again


def repeated_random_tokens(
    batch: int, half_len: int, d_vocab: int, seed: int
) -> torch.Tensor:
    """``[BOS, r_1..r_L, r_1..r_L]``: uniform random tokens (never BOS) repeated once.

    Returns ``[batch, 1 + 2 * half_len]`` int64. The induction-head evaluation set of
    Olsson et al. 2022 ("In-context learning and induction heads").
    """
    gen = torch.Generator().manual_seed(seed)
    half = torch.randint(1, d_vocab, (batch, half_len), generator=gen)
    bos = torch.full((batch, 1), BOS, dtype=torch.long)
    return torch.cat([bos, half, half], dim=1)


def bos_id(model) -> int:
    """The model's BOS token: its tokenizer's, or ``BOS`` for the toy models (no tokenizer)."""
    return BOS if model.tokenizer is None else model.tokenizer.bos_token_id


def repeated_tokens_for(model, batch: int, half_len: int, seed: int) -> torch.Tensor:
    """``repeated_random_tokens`` over the model's vocabulary with its BOS first."""
    tokens = repeated_random_tokens(batch, half_len, model.cfg.d_vocab, seed)
    tokens[:, 0] = bos_id(model)
    return tokens


def random_block_repeat(
    gen: torch.Generator,
    batch: int,
    seq_len: int,
    d_vocab: int,
    min_block: int = 8,
    max_block: int = 20,
) -> torch.Tensor:
    """Random tokens in which one random block reappears later at a random offset.

    Returns ``[batch, seq_len]`` with ``BOS`` first. Block length and both positions vary per
    row, so no fixed positional offset predicts the copy: only induction (match the previous
    occurrence of the current token, copy what followed it) does.
    """
    return block_repeat_with_copy(gen, batch, seq_len, d_vocab, min_block, max_block)[0]


def block_repeat_with_copy(
    gen: torch.Generator, batch: int, seq_len: int, d_vocab: int, min_block: int = 8, max_block: int = 20,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``random_block_repeat``'s tokens and ``[batch, seq_len]`` bool: the position is in the
    second copy of the block (the same draws: the tokens are identical)."""
    tokens = torch.randint(1, d_vocab, (batch, seq_len), generator=gen)
    tokens[:, 0] = BOS
    block = torch.randint(min_block, max_block + 1, (batch, 1), generator=gen)
    # first copy starts in [1, seq_len - 2 * block], second in [first + block, seq_len - block]
    first = 1 + (torch.rand(batch, 1, generator=gen) * (seq_len - 2 * block)).long()
    second = first + block + (torch.rand(batch, 1, generator=gen) * (seq_len - 2 * block - first + 1)).long()
    pos = torch.arange(seq_len).expand(batch, -1)
    in_copy = (pos >= second) & (pos < second + block)
    source = torch.where(in_copy, pos - second + first, pos)
    return tokens.gather(1, source), in_copy


INDUCTION_SEQ_LEN = 48
INDUCTION_VOCAB = 128


@register_task("induction")
def induction_task(gen: torch.Generator, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Language-model loss on every position of ``random_block_repeat`` sequences."""
    tokens = random_block_repeat(gen, batch, INDUCTION_SEQ_LEN, INDUCTION_VOCAB)
    return tokens, torch.ones(batch, INDUCTION_SEQ_LEN - 1, dtype=torch.bool)
