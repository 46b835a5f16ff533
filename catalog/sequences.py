"""Sequence tasks (seed problems 3.5-3.8, 3.21, 5.1-5.2): sorting, min/max, permutation,
Fibonacci, 5-digit addition and previous-token prediction; their task registrations, the toy
transformers trained on them, and their evaluation targets."""

from __future__ import annotations

import torch

from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig


def toy(name: str, description: str, arch: dict, task: str, steps: int, **train) -> None:
    config = TrainConfig(steps=steps, batch_size=train.pop("batch_size", 128), lr=train.pop("lr", 1e-3),
                         warmup_steps=100, log_every=500, **train)
    register_model(ToyTransformerSpec(name, description, arch, task, config))


def answer_mask(batch: int, seq: int, start: int, stop: int) -> torch.Tensor:
    """``[batch, seq - 1]`` loss mask: positions ``start .. stop - 1`` predict their next token."""
    mask = torch.zeros(batch, seq - 1, dtype=torch.bool)
    mask[:, start:stop] = True
    return mask


def distinct_values(gen: torch.Generator, batch: int, length: int, n_values: int) -> torch.Tensor:
    """``[batch, length]`` distinct values in ``0 .. n_values - 1``, uniformly drawn."""
    return torch.rand(batch, n_values, generator=gen).argsort(dim=1)[:, :length]

# 3.1 / 3.2 sorting: START x_1 .. x_n MID sorted(x) [END PAD ..], distinct values
SORT_VALUES = 30
START, MID, END, PAD = SORT_VALUES, SORT_VALUES + 1, SORT_VALUES + 2, SORT_VALUES + 3
SORT_LEN = 6
SORT_MAX_LEN = 8


@register_task("sort-fixed")
def sort_fixed(gen: torch.Generator, batch: int):
    """Lists of ``SORT_LEN`` distinct values; loss on the sorted half."""
    xs = distinct_values(gen, batch, SORT_LEN, SORT_VALUES)
    tokens = torch.cat([torch.full((batch, 1), START), xs, torch.full((batch, 1), MID), xs.sort(dim=1).values], 1)
    return tokens, answer_mask(batch, tokens.shape[1], SORT_LEN + 1, 2 * SORT_LEN + 1)


@register_task("sort-variable")
def sort_variable(gen: torch.Generator, batch: int):
    """Lists of 2 .. ``SORT_MAX_LEN`` distinct values (uniform length), ``END`` after the sorted
    half, then ``PAD``; loss on the sorted half and ``END``."""
    seq = 2 * SORT_MAX_LEN + 3
    lengths = torch.randint(2, SORT_MAX_LEN + 1, (batch,), generator=gen)
    xs = distinct_values(gen, batch, SORT_MAX_LEN, SORT_VALUES)
    tokens = torch.full((batch, seq), PAD)
    mask = torch.zeros(batch, seq - 1, dtype=torch.bool)
    for row, n in enumerate(lengths.tolist()):
        x = xs[row, :n]
        tokens[row, : 2 * n + 3] = torch.cat([torch.tensor([START]), x, torch.tensor([MID]), x.sort().values, torch.tensor([END])])
        mask[row, n + 1 : 2 * n + 2] = True
    return tokens, mask


def next_sorted_targets(tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]`` bool for sorting sequences: from ``MID`` and each sorted output
    ``y_i`` (not the last) to the input position holding ``y_{i+1}``, the smallest input
    greater than ``y_i`` (the list's minimum from ``MID``)."""
    batch, seq = tokens.shape
    targets = torch.zeros(batch, seq, seq, dtype=torch.bool)
    for row in range(batch):
        mid = int((tokens[row] == MID).nonzero()[0])
        inputs = tokens[row, 1:mid]
        for query in range(mid, 2 * mid - 1):
            wanted = tokens[row, query + 1]
            targets[row, query, 1 + int((inputs == wanted).nonzero()[0])] = True
    return targets


toy("sort-fixed-2l", f"2-layer transformer (d_model 64, 4 heads, GELU MLP, LN) sorting {SORT_LEN} distinct "
    f"values of 0..{SORT_VALUES - 1} (START x MID sorted), 2000 steps of 128",
    lm_arch(2, 2 * SORT_LEN + 2, SORT_VALUES + 2), "sort-fixed", 2000)
toy("sort-variable-2l", f"2-layer transformer (d_model 64, 4 heads, GELU MLP, LN) sorting 2..{SORT_MAX_LEN} "
    f"distinct values of 0..{SORT_VALUES - 1} (START x MID sorted END PAD..), 3000 steps of 128, a checkpoint every 75 and 120 log-spaced",
    lm_arch(2, 2 * SORT_MAX_LEN + 3, SORT_VALUES + 4), "sort-variable", 3000, checkpoint_every=75, log_checkpoints=120)


# 3.5 min / max: a b OP answer, OP in {MIN, MAX}
MINMAX_VALUES = 64
OP_MIN, OP_MAX = MINMAX_VALUES, MINMAX_VALUES + 1


@register_task("min-max")
def min_max(gen: torch.Generator, batch: int):
    """``a b OP c`` with ``c = min(a, b)`` or ``max(a, b)`` as ``OP`` says; loss on ``c``."""
    ab = torch.randint(0, MINMAX_VALUES, (batch, 2), generator=gen)
    is_max = torch.rand(batch, generator=gen) < 0.5
    answer = torch.where(is_max, ab.max(dim=1).values, ab.min(dim=1).values)
    tokens = torch.cat([ab, torch.where(is_max, OP_MAX, OP_MIN)[:, None], answer[:, None]], dim=1)
    return tokens, answer_mask(batch, 4, 2, 3)


def answer_source_targets(tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]`` bool for min/max: from ``OP`` to the operand equal to the answer
    (rows with ``a == b`` have no target)."""
    targets = torch.zeros(tokens.shape[0], 4, 4, dtype=torch.bool)
    distinct = tokens[:, 0] != tokens[:, 1]
    targets[:, 2, 0] = (tokens[:, 0] == tokens[:, 3]) & distinct
    targets[:, 2, 1] = (tokens[:, 1] == tokens[:, 3]) & distinct
    return targets


toy("min-max-1l", f"1-layer transformer (d_model 64, 4 heads, GELU MLP, LN) on 'a b MIN|MAX answer', "
    f"values 0..{MINMAX_VALUES - 1}, 1500 steps of 128",
    lm_arch(1, 4, MINMAX_VALUES + 2), "min-max", 1500)

# 3.6 permuting lists: x_1..x_n SEP i_1..i_n SEP x_{i_1}..x_{i_n}
PERM_LEN, PERM_VALUES = 5, 20
PERM_SEP = PERM_VALUES + PERM_LEN  # index tokens are PERM_VALUES + i


@register_task("permute")
def permute(gen: torch.Generator, batch: int):
    """Values, a permutation of their positions (index tokens), the values permuted; loss on
    the permuted values."""
    xs = torch.randint(0, PERM_VALUES, (batch, PERM_LEN), generator=gen)
    perm = torch.rand(batch, PERM_LEN, generator=gen).argsort(dim=1)
    sep = torch.full((batch, 1), PERM_SEP)
    tokens = torch.cat([xs, sep, PERM_VALUES + perm, sep, xs.gather(1, perm)], dim=1)
    return tokens, answer_mask(batch, tokens.shape[1], 2 * PERM_LEN + 1, 3 * PERM_LEN + 1)


def permuted_source_targets(tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]`` bool: from the position predicting output ``i`` to the input
    position ``perm[i]`` it copies."""
    batch, seq = tokens.shape
    targets = torch.zeros(batch, seq, seq, dtype=torch.bool)
    for i in range(PERM_LEN):
        source = tokens[:, PERM_LEN + 1 + i] - PERM_VALUES
        targets[torch.arange(batch), 2 * PERM_LEN + 1 + i, source] = True
    return targets


toy("permute-2l", f"2-layer transformer (d_model 64, 4 heads, GELU MLP, LN) permuting {PERM_LEN} values of "
    f"0..{PERM_VALUES - 1} by a given permutation, 3000 steps of 128",
    lm_arch(2, 3 * PERM_LEN + 2, PERM_SEP + 1), "permute", 3000)

# 3.7 Fibonacci-style recurrence mod FIB_M: x_t = x_{t-1} + x_{t-2}
FIB_M, FIB_LEN = 23, 10


@register_task("fibonacci")
def fibonacci(gen: torch.Generator, batch: int):
    """Two random starting values mod ``FIB_M`` and their recurrence; loss from ``x_2`` on."""
    xs = [torch.randint(0, FIB_M, (batch,), generator=gen) for _ in range(2)]
    while len(xs) < FIB_LEN:
        xs.append((xs[-1] + xs[-2]) % FIB_M)
    return torch.stack(xs, dim=1), answer_mask(batch, FIB_LEN, 1, FIB_LEN - 1)


toy("fibonacci-1l", f"1-layer transformer (d_model 64, 4 heads, GELU MLP, LN) on x_t = x_(t-1) + x_(t-2) "
    f"mod {FIB_M}, length {FIB_LEN}, 3000 steps of 128",
    lm_arch(1, FIB_LEN, FIB_M), "fibonacci", 3000)

# 3.8 / 5.1 / 5.2 five-digit addition: a_4..a_0 + b_4..b_0 = c_5..c_0 (most significant first)
ADD_DIGITS = 5
PLUS, EQUALS = 10, 11


def digits(n: torch.Tensor, count: int) -> torch.Tensor:
    """``[batch] -> [batch, count]`` decimal digits, most significant first."""
    return torch.stack([(n // 10**k) % 10 for k in reversed(range(count))], dim=1)


@register_task("add-5-digit")
def add_five_digits(gen: torch.Generator, batch: int):
    a, b = (torch.randint(0, 10**ADD_DIGITS, (batch,), generator=gen) for _ in range(2))
    tokens = torch.cat([digits(a, ADD_DIGITS), torch.full((batch, 1), PLUS), digits(b, ADD_DIGITS),
                        torch.full((batch, 1), EQUALS), digits(a + b, ADD_DIGITS + 1)], dim=1)
    return tokens, answer_mask(batch, tokens.shape[1], 2 * ADD_DIGITS + 1, 3 * ADD_DIGITS + 2)


toy("add-5-digit-2l", "2-layer transformer (d_model 64, 4 heads, GELU MLP, LN) on 5-digit addition "
    "(a+b=c, most significant digit first), 4000 steps of 128, checkpoints every 100",
    lm_arch(2, 3 * ADD_DIGITS + 3, 12), "add-5-digit", 4000, checkpoint_every=100)


# 3.21 predicting the previous token with rotary embeddings
PREV_VOCAB, PREV_SEQ = 64, 24


@register_task("previous-token")
def previous_token(gen: torch.Generator, batch: int):
    """Uniform random tokens; position i must predict token i - 1 (targets, not the next token)."""
    tokens = torch.randint(0, PREV_VOCAB, (batch, PREV_SEQ), generator=gen)
    mask = torch.ones(batch, PREV_SEQ - 1, dtype=torch.bool)
    mask[:, 0] = False
    return tokens, mask, torch.cat([tokens[:, :1], tokens[:, :-2]], dim=1)


toy("prev-token-rotary-1l", f"1-layer attention-only transformer with rotary embeddings (d_model 64, 4 heads, "
    f"LN) predicting the previous token of random tokens (vocab {PREV_VOCAB}), 1500 steps of 128",
    {**lm_arch(1, PREV_SEQ, PREV_VOCAB, attn_only=True, positional="rotary"), "rotary_dim": 16},
    "previous-token", 1500)
