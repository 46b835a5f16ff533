"""The T5 infrastructure (problem 4.43) on random-weight stand-ins of ``t5-small`` and
``t5-v1_1-xxl`` (``harness.models.standins.T5_STANDINS``: the real layer and head counts, widths
shrunk, a word-level tokenizer trained on the probe documents), loaded by the hub models' own code
from ``$MI_CLAIMS_HF_LOCAL_DIR``: the bridge's encoder-neuron hook reads what T5's MLP output
projection reads, and the 4.43 claim runs to a verdict on both. The verdicts mean nothing; they are
never reported as results (the runs write to a temporary directory)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from catalog.pretrained import T5_SMALL, T5_XXL
from claims.neurons.conftest import EncoderNeuronMeasurements
from claims.neurons import test_t5_superposition as t5_claims
from catalog.prompts.probe_text import codec_for, probe_documents, probe_windows
from harness.claims.evidence import Evidence
from harness.interp.neurons import encoder_neuron_activations, is_encoder_decoder
from harness.models import memory_cache
from harness.models.pretrained.hub import LOCAL_DIR_ENV, load_hub_model
from harness.models.registry import get_model_spec
from harness.models.standins import T5_STANDINS, standin_root
from tests.claims.test_hub_claims_on_standins import VERDICTS, run_claims_on


@pytest.fixture(scope="module")
def t5_standins() -> Path:
    """The T5 stand-ins' directory (in the model cache), tokenizer trained on the probe documents."""
    prose, code = probe_documents()
    return standin_root([*prose, *code], memory_cache.cache_root(), T5_STANDINS)


@pytest.mark.parametrize(("name", "layers"), [(T5_SMALL, 6), (T5_XXL, 24)])
def test_encoder_neurons_are_the_mlp_output_projections_input(t5_standins, monkeypatch, name, layers):
    monkeypatch.setenv(LOCAL_DIR_ENV, str(t5_standins))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    bridge = load_hub_model(name, get_model_spec(name).repo_id)
    assert is_encoder_decoder(bridge) and bridge.cfg.n_layers == layers
    tokens, _ = probe_windows(codec_for(bridge), 3, 16, seed=0)
    seen = {}
    for layer in (0, layers - 1):
        projection = bridge.original_model.encoder.block[layer].layer[-1].DenseReluDense.wo
        projection.register_forward_pre_hook(lambda module, args, layer=layer: seen.setdefault(layer, args[0].detach()))
    acts = encoder_neuron_activations(bridge, tokens, [0, layers - 1])
    assert acts.shape == (2, 3, 17, 64)
    for i, layer in enumerate((0, layers - 1)):
        torch.testing.assert_close(acts[i], seen[layer].float())


def test_the_t5_claim_measures_the_standins_encoder_neurons(t5_standins, monkeypatch):
    """The claim's body, in this process, on the t5-small stand-in's ``EncoderNeuronMeasurements``:
    one finite share of monosemantic neurons, over the stand-in's live neurons (of 64)."""
    monkeypatch.setenv(LOCAL_DIR_ENV, str(t5_standins))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    bridge = load_hub_model(T5_SMALL, get_model_spec(T5_SMALL).repo_id)
    evidence = Evidence(claim_id="claims/neurons/test_t5_superposition.py::x", problem="4.43", model=T5_SMALL, seed=0)
    t5_claims.test_most_first_layer_neurons_of_t5_are_polysemantic(
        mlp_neurons=EncoderNeuronMeasurements(bridge, 0, codec_for(bridge)), evidence=evidence)
    (measured,) = evidence.measurements
    assert measured.passed is not None and 0 <= measured.value <= 1 and 0 < evidence.notes["live neurons measured"] <= 64


@pytest.mark.slow
def test_the_t5_claim_reaches_a_verdict_on_the_standins(t5_standins, tmp_path):
    """The claim through the plugin (a pytest subprocess, ~20 s of startup here: ``slow``)."""
    models = [T5_SMALL, T5_XXL]
    records = run_claims_on(t5_standins, models, tmp_path, "-k", "prompts0",
                            files=["claims/neurons/test_t5_superposition.py"])
    ran = {r["model"]: r for r in records if r["model"] in models}
    assert set(ran) == set(models)
    assert all(r["verdict"] in VERDICTS and r["measurements"] for r in ran.values()), [r["message"] for r in ran.values()]
