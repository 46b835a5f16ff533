"""Same-architecture stand-ins for the hub models: random weights in the real architecture and
config shape (the real layer and head counts, widths shrunk), built from ``transformers``
configs or the legacy TransformerLens format without any download, with a word-level tokenizer
trained here on the texts the claims' prompts use. They exist so that the claims written for
hub models run here in tests (wrong hook names, head indices, shapes); they are never
registered as claim models and their values mean nothing.

``standin_root(texts, cache_root)`` writes one directory per hub model name, in the layout
``$MI_CLAIMS_HF_LOCAL_DIR`` expects (``harness.models.pretrained.hub``), so that the hub models'
own loading code boots them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

import torch
from filelock import FileLock

BOS = "<|endoftext|>"
UNK = "<unk>"
N_CTX = 64
VERSION = 1  # of the builders below: a change writes new stand-ins


def train_word_tokenizer(texts: list[str]) -> Any:
    """A GPT-2-style byte-level word tokenizer (``tokenizers``) trained on ``texts``: every
    word of them, with its leading space, is one token; BOS is ``<|endoftext|>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.WordLevel(unk_token=UNK))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=[BOS, UNK]))
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token=BOS, eos_token=BOS, unk_token=UNK)


def gpt2_model(vocab: int, n_layers: int = 12, n_heads: int = 12, **extra: Any) -> Any:
    """GPT-2 small's 12 x 12 heads at d_head 4 (``extra``: e.g. the Stanford CRFM flags)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    return GPT2LMHeadModel(GPT2Config(n_layer=n_layers, n_head=n_heads, n_embd=4 * n_heads, n_positions=N_CTX,
                                      vocab_size=vocab, bos_token_id=0, eos_token_id=0, **extra))


def neox_model(vocab: int) -> Any:
    """Pythia-70m's GPT-NeoX shape: 6 layers x 8 heads, parallel residual, rotary on a quarter
    of each head (d_head 8)."""
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    return GPTNeoXForCausalLM(GPTNeoXConfig(num_hidden_layers=6, num_attention_heads=8, hidden_size=64,
                                            intermediate_size=256, rotary_pct=0.25, use_parallel_residual=True,
                                            max_position_embeddings=N_CTX, vocab_size=vocab, bos_token_id=0, eos_token_id=0))


def t5_model(vocab: int, n_layers: int, n_heads: int, gated: bool) -> Any:
    """T5's encoder-decoder at ``n_layers`` + ``n_layers`` layers x ``n_heads`` heads (d_head 2);
    ``gated``: T5 v1.1's gated-GELU MLP, else the original's ReLU one."""
    from transformers import T5Config, T5ForConditionalGeneration

    return T5ForConditionalGeneration(T5Config(
        vocab_size=vocab, d_model=32, d_kv=2, d_ff=64, num_layers=n_layers, num_decoder_layers=n_layers,
        num_heads=n_heads, feed_forward_proj="gated-gelu" if gated else "relu", decoder_start_token_id=0,
        pad_token_id=0, eos_token_id=0))


def legacy_tl_state(config: dict[str, Any], gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Random weights in the legacy TransformerLens (HookedTransformer) state-dict format."""
    d, h, dh, m, v = config["d_model"], config["n_heads"], config["d_head"], config["d_mlp"], config["d_vocab"]

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen) / shape[-2 if len(shape) > 1 else 0] ** 0.5

    def norm(prefix: str, width: int) -> dict[str, torch.Tensor]:
        return {f"{prefix}.w": torch.ones(width), f"{prefix}.b": torch.zeros(width)}

    state = {"embed.W_E": rand(v, d), "pos_embed.W_pos": rand(config["n_ctx"], d), **norm("ln_final", d),
             "unembed.W_U": rand(d, v), "unembed.b_U": torch.zeros(v)}
    for layer in range(config["n_layers"]):
        block = f"blocks.{layer}"
        state |= {**norm(f"{block}.ln1", d), f"{block}.attn.W_O": rand(h, dh, d), f"{block}.attn.b_O": torch.zeros(d),
                  **{f"{block}.attn.W_{x}": rand(h, d, dh) for x in "QKV"},
                  **{f"{block}.attn.b_{x}": torch.zeros(h, dh) for x in "QKV"}}
        if not config["attn_only"]:
            state |= {**norm(f"{block}.ln2", d), f"{block}.mlp.W_in": rand(d, m), f"{block}.mlp.b_in": torch.zeros(m),
                      f"{block}.mlp.W_out": rand(m, d), f"{block}.mlp.b_out": torch.zeros(d)}
            if config["act_fn"] == "solu_ln":
                state |= norm(f"{block}.mlp.ln", m)
    return state


def legacy_tl_writer(n_layers: int, act_fn: str, attn_only: bool) -> Callable[[Path, int], None]:
    """NeelNanda's ``{Attn_Only,GELU,SoLU}_<n>L512W_C4_Code``: 8 heads per layer (d_head 8, not 64)."""

    def write(directory: Path, vocab: int) -> None:
        config = {"d_model": 64, "n_layers": n_layers, "d_mlp": -1 if attn_only else 256, "d_head": 8, "n_heads": 8,
                  "n_ctx": N_CTX, "d_vocab": vocab, "act_fn": act_fn, "attn_only": attn_only, "normalization_type": "LN",
                  "tokenizer_name": None}
        (directory / "config.json").write_text(json.dumps(config))
        torch.save(legacy_tl_state(config, torch.Generator().manual_seed(0)), directory / "model_final.pth")

    return write


def hf_writer(build: Callable[[int], Any]) -> Callable[[Path, int], None]:
    def write(directory: Path, vocab: int) -> None:
        torch.manual_seed(0)
        build(vocab).save_pretrained(directory)

    return write


# a hub model name of ``catalog.pretrained`` -> how its stand-in is written; one per
# architecture and configuration the catalog names (the other layer counts differ only in number)
STANDINS: dict[str, Callable[[Path, int], None]] = {
    "gpt2-small": hf_writer(gpt2_model),
    # the Mistral / Stanford CRFM runs scale attention by 1 / layer index and upcast it
    "stanford-gpt2-small-a": hf_writer(lambda vocab: gpt2_model(vocab, scale_attn_by_inverse_layer_idx=True,
                                                               reorder_and_upcast_attn=True)),
    "pythia-70m": hf_writer(neox_model),
    "attn-only-2l": legacy_tl_writer(2, "gelu", attn_only=True),
    "gelu-2l": legacy_tl_writer(2, "gelu", attn_only=False),
    "solu-2l": legacy_tl_writer(2, "solu_ln", attn_only=False),
}


# the encoder-decoder hub models (problem 4.43), at their real layer and head counts
T5_STANDINS: dict[str, Callable[[Path, int], None]] = {
    "t5-small": hf_writer(lambda vocab: t5_model(vocab, 6, 8, gated=False)),
    "t5-v1_1-xxl": hf_writer(lambda vocab: t5_model(vocab, 24, 64, gated=True)),
}


def standin_root(texts: list[str], cache_root: Path, writers: dict[str, Callable[[Path, int], None]] = STANDINS) -> Path:
    """``<cache_root>/standins/<key>/``: one stand-in directory per name of ``writers``
    (``STANDINS`` or ``T5_STANDINS``), its tokenizer trained on ``texts``; written once
    (atomically, under a file lock) per texts, names and ``VERSION``. Point
    ``$MI_CLAIMS_HF_LOCAL_DIR`` at it to load them as the hub models."""
    key = hashlib.sha256(json.dumps([VERSION, texts, sorted(writers)]).encode()).hexdigest()[:16]
    root = Path(cache_root) / "standins" / key
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):
        if not root.is_dir():
            scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root.parent))
            try:
                tokenizer = train_word_tokenizer(texts)
                for name, write in writers.items():
                    (scratch / name).mkdir()
                    write(scratch / name, len(tokenizer))
                    tokenizer.save_pretrained(scratch / name)
                os.replace(scratch, root)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return root
