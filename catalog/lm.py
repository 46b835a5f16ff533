"""The text language models trained here (issue #14): a family like TransformerLens's toy models
(attention-only 1-4 layers, GELU 1-2 layers, SoLU 1-2 layers), trained on ``catalog.corpus``'s
``TEXT_CORPUS`` with a BPE vocabulary of 4096, and the same architectures as tiny CPU stand-ins.

- The family (``lm-attn-1l`` ... ``lm-solu-2l``, and from issue #18 ``lm-relu-1l``, ``lm-relu-2l`` and
  ``lm-gelu-1l-mlp100``, whose MLP is 100 x d_model = 25600 neurons): d_model 256, 8 heads of 32, context 256,
  MLPs of 1024; 6000 steps of 32 x 256 tokens (49M tokens), AdamW, lr 1e-3 with 300 warm-up
  steps and cosine decay, weight decay 0.01, 40 log-spaced checkpoints plus one every 1000
  steps. Claims on them belong to the opt-in ``lm`` tier (``pytest -m lm``): cold, they train for
  hours on CPU, minutes on a GPU (README, "Language models trained here").
- ``python -m catalog.lm [--models lm-attn-1l,...] [--seeds 0 1 2]`` trains the family (what the
  disk cache lacks; an interrupted run resumes) and prints each member's held-out loss.
- The stand-ins (``STANDINS``: ``standin-attn-1l`` ...): the same architectures at d_model 32,
  4 heads, context 32, vocabulary 512, trained 300 steps on ``STANDIN_CORPUS``. They prove
  code paths in ``tests/`` and are never registered as claim models.

SoLU is TransformerLens's ``act_fn="solu_ln"``: x * softmax(x) over the MLP's neurons, then a
LayerNorm, as in the SoLU paper (Elhage et al. 2022, section 4).

Training throughput (tokens/s: forward + backward + AdamW on one thread, 3 steps of 8 x 256
tokens after one warm-up step, 2026-12-03 on the project's 2-core AVX2 machine while five other
agents trained models on it, load average 17-20, so +-50%): attn-1l 1633, attn-2l 1281,
attn-3l 1024, attn-4l 847, gelu-1l 1683, gelu-2l 1064, solu-1l 1584, solu-2l 978. At those
rates one member's 49M tokens take 8-16 hours and the whole family about 92 hours of CPU; the
stand-ins train 300 x 16 x 32 tokens at 6.7k-16.7k tokens/s, 9-23 s each (measured cold, same load).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from catalog.corpus import STANDIN_CORPUS, TEXT_CORPUS
from harness.models.disk_cache import default_cache_root
from harness.models.lm import TextLMSpec
from harness.models.registry import register_model
from harness.models.toy_transformer import lm_arch
from harness.models.training import TrainConfig

VOCAB = 4096
FAMILY_TRAIN = TrainConfig(
    steps=6000, batch_size=32, lr=1e-3, weight_decay=0.01, warmup_steps=300, lr_schedule="cosine",
    checkpoint_every=1000, log_checkpoints=40, log_every=100, device="best",
)
STANDIN_VOCAB = 512
STANDIN_TRAIN = TrainConfig(steps=300, batch_size=16, lr=3e-3, warmup_steps=30, log_every=100, log_checkpoints=8)

# (family, layers): the members of the TransformerLens toy family we mirror
MEMBERS = (("attn", 1), ("attn", 2), ("attn", 3), ("attn", 4), ("gelu", 1), ("gelu", 2), ("solu", 1), ("solu", 2))
ACT_FN = {"gelu": "gelu", "solu": "solu_ln", "relu": "relu"}
# issue #18: ReLU twins of the GELU members (4.41) and a 1-layer GELU model whose MLP is 100 x d_model
# wide (4.42); (family, layers, d_mlp / d_model)
EXTRA_MEMBERS = (("relu", 1, 4), ("relu", 2, 4), ("gelu", 1, 100))


def text_lm_arch(family: str, n_layers: int, *, d_model: int, n_heads: int, n_ctx: int, d_vocab: int,
                 mlp_ratio: int = 4) -> dict:
    arch = lm_arch(n_layers, n_ctx, d_vocab, d_model=d_model, attn_only=family == "attn", n_heads=n_heads)
    if family != "attn":
        arch.update(act_fn=ACT_FN[family], d_mlp=mlp_ratio * d_model)
    return arch


def member_name(family: str, n_layers: int, mlp_ratio: int = 4) -> str:
    """``lm-gelu-1l``; a non-default MLP width is named by its ratio: ``lm-gelu-1l-mlp100``."""
    return f"lm-{family}-{n_layers}l" + ("" if mlp_ratio == 4 else f"-mlp{mlp_ratio}")


def family_member(family: str, n_layers: int, mlp_ratio: int = 4) -> TextLMSpec:
    kind = "attention-only" if family == "attn" else f"{family.upper()} MLP"
    return TextLMSpec(
        name=member_name(family, n_layers, mlp_ratio),
        description=(
            f"{n_layers}-layer {kind} language model (d_model 256, 8 heads, context 256, BPE vocab {VOCAB}"
            + ("" if mlp_ratio == 4 else f", MLP of {mlp_ratio} x d_model") + ") "
            "trained here on the offline 80/20 prose/code corpus (catalog.corpus), 49M tokens"
        ),
        arch=text_lm_arch(family, n_layers, d_model=256, n_heads=8, n_ctx=256, d_vocab=VOCAB, mlp_ratio=mlp_ratio),
        corpus=TEXT_CORPUS,
        vocab_size=VOCAB,
        train=FAMILY_TRAIN,
    )


def standin(family: str, n_layers: int, mlp_ratio: int = 4) -> TextLMSpec:
    name = member_name(family, n_layers, mlp_ratio)
    return TextLMSpec(
        name=name.replace("lm-", "standin-", 1),
        description=f"CPU stand-in of {name} for tests (d_model 32, 300 steps); never a claim model",
        arch=text_lm_arch(family, n_layers, d_model=32, n_heads=4, n_ctx=32, d_vocab=STANDIN_VOCAB, mlp_ratio=mlp_ratio),
        corpus=STANDIN_CORPUS,
        vocab_size=STANDIN_VOCAB,
        train=STANDIN_TRAIN,
    )


ALL_MEMBERS = (*((f, n, 4) for f, n in MEMBERS), *EXTRA_MEMBERS)
FAMILY = {spec.name: spec for spec in (family_member(*m) for m in ALL_MEMBERS)}
STANDINS = {spec.name: spec for spec in (standin(*m) for m in ALL_MEMBERS)}

for _spec in FAMILY.values():
    register_model(_spec)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m catalog.lm", description="Train the text LM family (or load it).")
    parser.add_argument("--models", default=",".join(FAMILY), help="comma-separated family members")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: $MI_CLAIMS_CACHE or ~/.cache/mi-claims")
    args = parser.parse_args(argv)
    cache_root = args.cache_dir or default_cache_root()
    for name in args.models.split(","):
        for seed in args.seeds:
            _, meta = FAMILY[name].artifact(seed, cache_root)
            print(f"{name} seed {seed}: held-out loss {meta['heldout_loss']:.3f} nats (uniform {meta['uniform_loss']:.3f}), "
                  f"{meta['train_seconds']:.0f} s on {meta['device']}", flush=True)


if __name__ == "__main__":
    main()
