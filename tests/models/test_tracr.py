"""harness.models.pretrained.tracr: the converted bridge computes what tracr's compiled model
computes, the compiled model computes what the RASP program says, and the cache loads without
compiling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import harness.models.pretrained.tracr as tracr_source
from catalog.tracr import TRACR_MODELS
from harness.interp.ablation import cache_activations
from harness.interp.hooks import LAYER_OUT_HOOK
from harness.models.pretrained.tracr import compiled_circuit
from harness.models.registry import ModelUnavailable, get_model_spec

needs_tracr = pytest.mark.skipif(not tracr_source.tracr_available(), reason=tracr_source.INSTALL_HINT)
pytestmark = pytest.mark.xdist_group("tracr")


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def compiled(cache_root):
    """{name: (tracr's assembled model, our bridge)}, each compiled once."""
    out = {}
    for name in TRACR_MODELS:
        spec = get_model_spec(name)
        out[name] = spec.compile(), spec.load(0, cache_root)
    return out


def decode(model, tokens: torch.Tensor) -> list:
    inverse = {i: v for v, i in model.input_encoder.encoding_map.items()}
    return [inverse[int(t)] for t in tokens]


def inputs(bridge, n: int = 20) -> list[torch.Tensor]:
    """Random inputs of every length from 1 to ``max_seq_len`` (BOS first)."""
    info = bridge.tracr
    return [row for length in range(1, info.max_seq_len + 1) for row in info.random_inputs(n, length, seed=length)]


@needs_tracr
@pytest.mark.parametrize("name", TRACR_MODELS)
def test_bridge_matches_tracr(compiled, name):
    assembled, bridge = compiled[name]
    names = [LAYER_OUT_HOOK.format(layer=layer, component=c) for layer in range(bridge.cfg.n_layers) for c in ("attn", "mlp")]
    w_u = tracr_source.unembedding(assembled)
    for row in inputs(bridge):
        ours = cache_activations(bridge, row[None], names)
        theirs = assembled.apply(decode(assembled, row))
        for name_, layer_out in zip(names, theirs.layer_outputs):
            torch.testing.assert_close(ours[name_], torch.tensor(np.asarray(layer_out)), atol=1e-5, rtol=0)
        logits = torch.tensor(np.asarray(theirs.transformer_output)) @ w_u
        torch.testing.assert_close(bridge(row[None]), logits, atol=1e-5, rtol=0)


@needs_tracr
@pytest.mark.parametrize("name", TRACR_MODELS)
def test_compiled_model_matches_rasp(compiled, name):
    """tracr issue 9: RASP, craft and compiled outputs can disagree; here they must not."""
    from tracr.rasp import rasp

    assembled, bridge = compiled[name]
    program = get_model_spec(name).program()
    for row in inputs(bridge):
        values = decode(assembled, row)[1:]
        expected = rasp.evaluate(program, values)
        got = assembled.apply(["BOS", *values]).decoded[1:]
        if bridge.tracr.categorical:
            assert got == expected, values
        else:
            np.testing.assert_allclose(got, expected, atol=1e-3, err_msg=str(values))


@needs_tracr
def test_warm_cache_loads_without_compiling(compiled, cache_root, monkeypatch):
    spec = get_model_spec("tracr-reverse")
    monkeypatch.setattr(type(spec), "compile", lambda self: pytest.fail("compiled again"))
    row = compiled["tracr-reverse"][1].tracr.random_inputs(1, 5, seed=0)
    torch.testing.assert_close(spec.load(0, cache_root)(row), compiled["tracr-reverse"][1](row))


def test_cold_cache_without_tracr_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.setattr(tracr_source, "tracr_available", lambda: False)
    with pytest.raises(ModelUnavailable, match=r"pip install -e \.\[tracr\]"):
        get_model_spec("tracr-hist").load(0, tmp_path)


def test_seed_other_than_zero_is_refused(tmp_path):
    with pytest.raises(ValueError, match="seed 0 only"):
        get_model_spec("tracr-hist").load(1, tmp_path)


@needs_tracr
def test_compiled_circuit_of_reverse(compiled):
    """make_reverse: length (attention 0 + MLP 0), opp_idx (MLPs 1, 2), the flip (attention 3);
    the attention of layers 1 and 2 and MLP 3 are padding."""
    assert compiled_circuit(compiled["tracr-reverse"][1]) == ([(0, 0), (3, 0)], [0, 1, 2])
