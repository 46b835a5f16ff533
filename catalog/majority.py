"""Majority element (open problem 3.17, a LeetCode-easy task: LeetCode 169): a list of
``MAJORITY_LEN`` values in which one value fills more than half the places, then ``ASK``; the
model names that value. A one-layer attention-only model can solve it by attending evenly over
the list and copying (the majority value's embedding dominates the mean)."""

from __future__ import annotations

import torch

from catalog.sequences import answer_mask
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig

MAJORITY_LEN = 9
MAJORITY_VALUES = 8
ASK = MAJORITY_VALUES  # the token after the list; its position predicts the answer
ASK_POS = MAJORITY_LEN


@register_task("majority")
def majority_batch(gen: torch.Generator, batch: int):
    """Lists whose majority value fills 5 .. 9 of the 9 places (uniform), the other places other
    values (uniform), in random order; loss on the answer."""
    majority = torch.randint(0, MAJORITY_VALUES, (batch, 1), generator=gen)
    count = torch.randint(MAJORITY_LEN // 2 + 1, MAJORITY_LEN + 1, (batch, 1), generator=gen)
    # another value: majority + 1 .. majority + MAJORITY_VALUES - 1, mod MAJORITY_VALUES
    others = (majority + torch.randint(1, MAJORITY_VALUES, (batch, MAJORITY_LEN), generator=gen)) % MAJORITY_VALUES
    slots = torch.rand(batch, MAJORITY_LEN, generator=gen).argsort(dim=1)  # a random order of the places
    values = torch.where(slots < count, majority, others)
    tokens = torch.cat([values, torch.full((batch, 1), ASK), majority], dim=1)
    return tokens, answer_mask(batch, tokens.shape[1], ASK_POS, ASK_POS + 1)


MAJORITY_MODEL = "majority-attn-1l"
MAJORITY_STEPS = 400
register_model(ToyTransformerSpec(
    MAJORITY_MODEL,
    f"1-layer attention-only transformer (d_model 32, 2 heads, LN) naming the majority value of a list of "
    f"{MAJORITY_LEN} values of 0..{MAJORITY_VALUES - 1}, {MAJORITY_STEPS} steps of 64 (cosine)",
    lm_arch(1, MAJORITY_LEN + 2, MAJORITY_VALUES + 1, d_model=32, attn_only=True, n_heads=2), "majority",
    TrainConfig(steps=MAJORITY_STEPS, batch_size=64, lr=3e-3, warmup_steps=50, log_every=100, lr_schedule="cosine"),
))
