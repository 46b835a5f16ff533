"""harness.models.pretrained.added: the SPECs of ``--claims-add-model``, their startup errors,
and where each scheme loads from (all without network)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.models.pretrained.added import BadModelSpec, parse_added_model
from harness.models.pretrained.smollm2_wheel import smollm2_gguf_path
from harness.models.registry import ModelUnavailable
from harness.models.standins import gpt2_model, train_word_tokenizer


def write_hf_dir(directory: Path, architectures: list[str] | None = None, tokenizer: bool = True) -> Path:
    """A tiny random GPT-2 saved as an HF directory (``architectures`` rewritten if given)."""
    vocab = train_word_tokenizer(["Then, Mary and John went to the store."])
    gpt2_model(len(vocab), n_layers=1, n_heads=2).save_pretrained(directory)
    if tokenizer:
        vocab.save_pretrained(directory)
    if architectures is not None:
        config = json.loads((directory / "config.json").read_text())
        (directory / "config.json").write_text(json.dumps({**config, "architectures": architectures}))
    return directory


@pytest.fixture
def empty_hf_cache(monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    return tmp_path / "hf-cache"


@pytest.mark.parametrize("spec, message", [
    ("foo:bar", "unknown scheme foo; use one of hf:, path:, tl:, gguf:, py:"),
    ("no-scheme", "unknown scheme (none)"),
    ("path:", "nothing after path:"),
    ("path:/no/such/dir", "/no/such/dir is not a directory"),
    ("hf:a/b/c", "expected hf:org/name[@revision]"),
    ("tl:no-such-model-xyz", "'no-such-model-xyz' is not an official model name"),
    ("gguf:/tmp/model.bin", "model.bin is not a .gguf file"),
    ("gguf:/no/such/model.gguf", "/no/such/model.gguf does not exist"),
    ("py:no_such_module_xyz:build", "cannot import no_such_module_xyz"),
    ("py:json:no_such_function", "json has no callable no_such_function"),
    ("py:json", "expected py:module:function"),
])
def test_bad_specs_say_why(spec, message):
    with pytest.raises(BadModelSpec, match=None) as err:
        parse_added_model(spec)
    assert message in str(err.value)


@pytest.mark.parametrize("broken, message", [
    (dict(), "has no config.json"),
    (dict(tokenizer=False), "has no tokenizer"),
    (dict(architectures=["NoSuchNetForCausalLM"]), "TransformerLens cannot bridge the architecture ['NoSuchNetForCausalLM']"),
])
def test_a_local_directory_is_checked_at_startup(tmp_path, broken, message):
    directory = tmp_path / "mine"
    if broken:
        write_hf_dir(directory, **broken)
    else:
        directory.mkdir()
    with pytest.raises(BadModelSpec) as err:
        parse_added_model(f"path:{directory}")
    assert message in str(err.value)


def test_path_loads_the_directory_as_a_bridge(tmp_path):
    model = parse_added_model(f"path:{write_hf_dir(tmp_path / 'My-Model')}")
    assert (model.name, model.origin["source"]) == ("my-model", "path")
    bridge = model.load(0, tmp_path)
    assert bridge.cfg.n_layers == 1 and bridge.tokenizer is not None
    with pytest.raises(ValueError, match="seed 0 only"):
        model.load(1, tmp_path)


def test_hf_and_tl_load_from_the_local_hf_cache_only(empty_hf_cache, tmp_path):
    """Not in the cache: skipped at load with the reason; in the cache (the layout
    huggingface_hub writes): loaded without network."""
    absent = parse_added_model("hf:EleutherAI/pythia-160m")
    assert absent.name == "pythia-160m"
    with pytest.raises(ModelUnavailable, match="not in the local HF cache, and HF_HUB_OFFLINE is set"):
        absent.load(0, tmp_path)
    assert parse_added_model("tl:gpt2-small").origin == {"source": "tl", "repo": "gpt2", "revision": "main", "tl_name": "gpt2-small"}

    snapshot = empty_hf_cache / "models--someone--tiny" / "snapshots" / "abc123"
    shutil.copytree(write_hf_dir(tmp_path / "tiny"), snapshot)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("abc123")
    cached = parse_added_model("hf:someone/tiny")
    assert cached.load(0, tmp_path).cfg.n_layers == 1
    with pytest.raises(ModelUnavailable, match="not in the local HF cache"):
        parse_added_model("hf:someone/tiny@v2").load(0, tmp_path)


def test_gguf_names_the_file():
    model = parse_added_model(f"gguf:{smollm2_gguf_path()}")
    assert (model.name, model.origin["source"]) == ("smollm2-135m-instruct.q4_1", "gguf")


def test_py_calls_the_function(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text("def no_tokenizer():\n    return object()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(BadModelSpec, match="returned a model without a tokenizer"):
        parse_added_model("py:my_models:no_tokenizer").load(0, tmp_path)
