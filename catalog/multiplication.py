"""Binary multiplication (open problem 3.15): ``a_3..a_0 * b_3..b_0 = c_7..c_0``, 4-bit factors
and their 8-bit product, most significant bit first (as ``add-5-digit``), with checkpoints of
the training run for the order in which the product bits are learned."""

from __future__ import annotations

import torch

from catalog.sequences import answer_mask
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig

MUL_BITS = 4  # bits per factor
PRODUCT_BITS = 2 * MUL_BITS
TIMES, EQUALS = 2, 3  # tokens 0 and 1 are the bits
# prediction positions of c_7 .. c_0 (``=`` predicts c_7)
PRODUCT = slice(2 * MUL_BITS + 1, 2 * MUL_BITS + 1 + PRODUCT_BITS)
PRODUCT_BIT_NAMES = [f"c{PRODUCT_BITS - 1 - i}" for i in range(PRODUCT_BITS)]


def binary(n: torch.Tensor, count: int) -> torch.Tensor:
    """``[batch] -> [batch, count]`` bits, most significant first."""
    return torch.stack([(n >> k) & 1 for k in reversed(range(count))], dim=1)


@register_task("mul-4-bit")
def multiply_four_bits(gen: torch.Generator, batch: int):
    """Uniform 4-bit factors; loss on the 8 product bits."""
    a, b = (torch.randint(0, 2**MUL_BITS, (batch,), generator=gen) for _ in range(2))
    tokens = torch.cat([binary(a, MUL_BITS), torch.full((batch, 1), TIMES), binary(b, MUL_BITS),
                        torch.full((batch, 1), EQUALS), binary(a * b, PRODUCT_BITS)], dim=1)
    return tokens, answer_mask(batch, tokens.shape[1], PRODUCT.start, PRODUCT.stop)


MUL_MODEL = "mul-4-bit-2l"
MUL_STEPS = 600
register_model(ToyTransformerSpec(
    MUL_MODEL,
    f"2-layer transformer (d_model 64, 4 heads, GELU MLP, LN) multiplying two 4-bit numbers (a*b=c, 8-bit "
    f"product, most significant bit first), {MUL_STEPS} steps of 64 (cosine), checkpoints every 25",
    lm_arch(2, 2 * MUL_BITS + 2 + PRODUCT_BITS, EQUALS + 1), "mul-4-bit",
    TrainConfig(steps=MUL_STEPS, batch_size=64, lr=1e-3, warmup_steps=100, log_every=250, lr_schedule="cosine",
                checkpoint_every=25),
))
