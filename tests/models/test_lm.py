"""Text language models trained here: resumable training through the one loop, the SoLU MLP
against TransformerLens's definition, cache keys that follow the corpus, the CPU stand-ins."""

import math

import pytest
import torch
import torch.nn.functional as F
from transformer_lens.utilities.activation_functions import solu

from catalog.lm import FAMILY, STANDINS, standin
from harness.models.corpus import TokenStream
from harness.models.lm import RESUME_SUFFIX
from harness.models.registry import model_names
from harness.models.trained import split_checkpoints
from harness.models.training import init_native_model
from tests.models.text_fixtures import TINY_TRAIN, tiny_spec, write_tiny_files



def test_interrupted_training_resumes_into_the_same_weights(tmp_path, monkeypatch):
    spec = tiny_spec(write_tiny_files(tmp_path / "src"))
    whole, whole_meta = spec.artifact(0, tmp_path / "whole")

    draw = TokenStream.__call__
    calls = iter(range(100))

    def interrupted_at_step_7(self, batch_size):
        if next(calls) == 6:
            raise KeyboardInterrupt
        return draw(self, batch_size)

    monkeypatch.setattr(TokenStream, "__call__", interrupted_at_step_7)
    with pytest.raises(KeyboardInterrupt):
        spec.artifact(0, tmp_path / "resumed")
    assert len(list((tmp_path / "resumed").glob(f"*{RESUME_SUFFIX}"))) == 1  # saved at step 4
    monkeypatch.setattr(TokenStream, "__call__", draw)
    resumed, resumed_meta = spec.artifact(0, tmp_path / "resumed")

    assert not list((tmp_path / "resumed").glob(f"*{RESUME_SUFFIX}"))
    assert whole.keys() == resumed.keys() and all(torch.equal(whole[k], resumed[k]) for k in whole)
    assert whole_meta["losses"] == resumed_meta["losses"]
    assert sorted(split_checkpoints(resumed)[1]) == sorted(TINY_TRAIN.checkpoint_steps())


def test_solu_mlp_is_the_papers_and_transformer_lens_definition():
    arch = standin("solu", 1).arch
    assert arch["act_fn"] == "solu_ln"
    mlp = init_native_model(arch, seed=0).layers[0].mlp
    x = torch.randn(2, 5, arch["d_model"])
    pre = mlp.fc_in(x)
    mid = F.layer_norm(pre * pre.softmax(-1), (arch["d_mlp"],), mlp.ln.weight, mlp.ln.bias, eps=mlp.ln.eps)
    with torch.no_grad():
        assert torch.allclose(mlp(x), mlp.fc_out(mid), atol=1e-6)
        assert torch.allclose(solu(pre), pre * pre.softmax(-1))


def test_cache_key_holds_the_corpus_and_tokenizer_hashes(tmp_path):
    spec = tiny_spec(write_tiny_files(tmp_path / "a"))
    payload = spec.keyed_payload(0, spec.tokens(tmp_path / "cache"))
    assert {"corpus_sha256", "tokenizer_sha256"} <= payload.keys() and "corpus" not in payload
    other = tiny_spec(write_tiny_files(tmp_path / "b"))
    (tmp_path / "b" / "prose" / "doc2.txt").write_text("other text " * 50)
    assert other.keyed_payload(0, other.tokens(tmp_path / "cache"))["corpus_sha256"] != payload["corpus_sha256"]


def test_the_family_trains_on_the_best_device_and_the_standins_on_the_cpu():
    # the device kind is then in the family's key (TrainConfig.device, tests/models/test_training.py)
    assert {spec.train.device for spec in FAMILY.values()} == {"best"}
    assert {spec.train.device for spec in STANDINS.values()} == {"cpu"}


def test_family_and_standins_share_architectures_and_only_the_family_is_registered():
    assert len(FAMILY) == len(STANDINS) == 11
    assert set(FAMILY) <= set(model_names()) and not set(STANDINS) & set(model_names())
    for name, spec in FAMILY.items():
        small = STANDINS[name.replace("lm-", "standin-")]
        for field in ("n_layers", "attn_only", "act_fn", "normalization_type"):
            assert spec.arch.get(field) == small.arch.get(field)


def test_a_standin_trains_below_the_uniform_loss_and_loads(tmp_path):
    spec = tiny_spec(write_tiny_files(tmp_path / "src"), family="gelu")
    model = spec.load(0, tmp_path / "cache")
    _, meta = spec.artifact(0, tmp_path / "cache")
    assert meta["heldout_loss"] < math.log(spec.vocab_size) and meta["tokens_per_second"] > 0
    tokens = spec.tokens(tmp_path / "cache").heldout[:16][None]
    with torch.inference_mode():
        assert model(tokens).shape == (1, 16, spec.vocab_size)
