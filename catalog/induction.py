"""Registered models: name -> how to build or load it."""

from __future__ import annotations

from catalog.datasets import INDUCTION_SEQ_LEN, INDUCTION_VOCAB
from harness.models.registry import register_model
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig


def attn_only_induction(n_layers: int, checkpoint_every: int = 25) -> ToyTransformerSpec:
    """Attention-only transformer trained on random tokens with a repeated random block, with a
    checkpoint every ``checkpoint_every`` steps."""
    return ToyTransformerSpec(
        name=f"toy-attn-{n_layers}l",
        description=(
            f"{n_layers}-layer attention-only transformer (d_model 64, 4 heads of 64/4, LayerNorm, "
            f"vocab {INDUCTION_VOCAB}, context {INDUCTION_SEQ_LEN}) trained 1000 steps on the "
            f"induction task (random tokens with one random block repeated); a checkpoint every {checkpoint_every} steps"
        ),
        arch=lm_arch(n_layers, INDUCTION_SEQ_LEN, INDUCTION_VOCAB, attn_only=True),
        task="induction",
        train=TrainConfig(steps=1000, batch_size=64, lr=3e-3, warmup_steps=100, log_every=250,
                          checkpoint_every=checkpoint_every),
    )


# the 3-layer model's induction head forms within ~100 steps (475-575 on seeds 0-2): every 25 steps
# left 3-4 checkpoints inside that rise, too few to time it (5.22's precondition, >= 4)
for n_layers, every in ((1, 25), (2, 25), (3, 10)):
    register_model(attn_only_induction(n_layers, every))
