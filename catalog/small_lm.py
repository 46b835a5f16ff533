"""A 1-layer SoLU language model and its GELU twin small enough to train here in about a minute
(issue #18, open problem 4.39 on three seeds): the CPU stand-ins' architecture
(``catalog.lm.standin``: d_model 32, 4 heads, context 32) at d_model 64 (MLP 256), trained
``SMALL_TRAIN`` on the stand-ins' corpus and 512-token BPE. Unlike the stand-ins (300 steps, code
paths only), they are claim models: their held-out loss is noted by the claims that use them.
They keep 20 log-spaced checkpoints and one every 100 steps (as the family, ``catalog.lm``), and
one every 5 steps over steps 40-130, where the SoLU model's token neurons form, for 5.23 (neuron
formation over training).
"""

from __future__ import annotations

from catalog.corpus import STANDIN_CORPUS
from catalog.lm import STANDIN_VOCAB, text_lm_arch
from harness.models.lm import TextLMSpec
from harness.models.registry import register_model
from harness.models.training import TrainConfig

SMALL_TRAIN = TrainConfig(steps=1000, batch_size=16, lr=3e-3, warmup_steps=50, lr_schedule="cosine", log_every=250,
                          checkpoint_every=100, log_checkpoints=20, dense_checkpoints=(40, 130, 5))


def small_member(family: str) -> TextLMSpec:
    return TextLMSpec(
        name=f"lm-small-{family}-1l",
        description=f"1-layer {family.upper()} MLP language model (d_model 64, 4 heads, context 32, BPE vocab "
                    f"{STANDIN_VOCAB}) trained 1000 steps of 16 x 32 tokens on the stand-in corpus",
        arch=text_lm_arch(family, 1, d_model=64, n_heads=4, n_ctx=32, d_vocab=STANDIN_VOCAB),
        corpus=STANDIN_CORPUS,
        vocab_size=STANDIN_VOCAB,
        train=SMALL_TRAIN,
    )


SMALL_LMS = {spec.name: spec for spec in (small_member(family) for family in ("solu", "gelu"))}

for _spec in SMALL_LMS.values():
    register_model(_spec)
