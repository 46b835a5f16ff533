"""Predicting the output of simple code (open problem 3.9): ``a = 1 2 3 4 . a [ 2 ] = 7 .
a -> 1 2 7 4``, a list literal, one assignment to an index, and the list printed. Values and
indices are the digit tokens 0..9 (indices 0 .. ``CODE_LEN - 1``)."""

from __future__ import annotations

import torch

from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig

CODE_LEN = 4
CODE_VALUES = 10
VAR, ASSIGN, DOT, OPEN, CLOSE, ARROW = range(CODE_VALUES, CODE_VALUES + 6)
INDEX_POS = CODE_LEN + 5  # a = x_0 .. x_{n-1} . a [ i
VALUE_POS = INDEX_POS + 3  # ... i ] = v
ARROW_POS = VALUE_POS + 3  # ... v . a ->
CODE_SEQ = ARROW_POS + 1 + CODE_LEN


@register_task("code-assign")
def code_assign(gen: torch.Generator, batch: int):
    """The program and its printed list; loss on the printed values (position ``ARROW_POS + j``
    predicts ``y_j``)."""
    xs = torch.randint(0, CODE_VALUES, (batch, CODE_LEN), generator=gen)
    index = torch.randint(0, CODE_LEN, (batch, 1), generator=gen)
    value = torch.randint(0, CODE_VALUES, (batch, 1), generator=gen)
    ys = xs.scatter(1, index, value)

    def const(token: int) -> torch.Tensor:
        return torch.full((batch, 1), token)

    tokens = torch.cat([const(VAR), const(ASSIGN), xs, const(DOT), const(VAR), const(OPEN), index, const(CLOSE),
                        const(ASSIGN), value, const(DOT), const(VAR), const(ARROW), ys], dim=1)
    mask = torch.zeros(batch, CODE_SEQ - 1, dtype=torch.bool)
    mask[:, ARROW_POS:ARROW_POS + CODE_LEN] = True
    return tokens, mask


def assigned_value_targets(tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]`` bool: from the position predicting the assigned index's output
    (``ARROW_POS + i``) to the assigned value (``VALUE_POS``)."""
    batch = tokens.shape[0]
    targets = torch.zeros(batch, CODE_SEQ, CODE_SEQ, dtype=torch.bool)
    targets[torch.arange(batch), ARROW_POS + tokens[:, INDEX_POS], VALUE_POS] = True
    return targets


CODE_MODEL = "code-assign-2l"
register_model(ToyTransformerSpec(
    CODE_MODEL,
    f"2-layer transformer (d_model 64, 4 heads, GELU MLP, LN) printing a list of {CODE_LEN} digits after one "
    "indexed assignment ('a = 1 2 3 4 . a [ 2 ] = 7 . a -> 1 2 7 4'), 400 steps of 64",
    lm_arch(2, CODE_SEQ, ARROW + 1), "code-assign",
    TrainConfig(steps=400, batch_size=64, lr=1e-3, warmup_steps=100, log_every=100, lr_schedule="cosine"),
))
