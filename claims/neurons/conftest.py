"""Neurons, and how 1-4 layer models differ (section 1, issue #14): the measurements the claims
share, as the ``neurons`` fixture (one object per model and prompt seed, each part computed on
first use).

Every claim runs on seed 0 of each model: the TransformerLens originals and SmolLM2 are
pretrained (one set of weights, seed 0 only), and a claim's seeds apply to all its models. Its
three seeds are the draws of the probe windows (``prompt_seed``: ``catalog.prompts.probe_text``
with data seed 1000 + k); draw 0 runs in the default tier, draws 1-2 are ``slow``. Every claim
on a family member trained here (``lm-*``) is marked ``lm``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

import pytest
import torch

from catalog.datasets import REPEAT_HALF_LEN, repeated_tokens_for
from catalog.lm import FAMILY
from catalog.prompts.probe_text import TOKEN_KINDS, TextCodec, codec_for, probe_windows, regex_labels, token_classes
from harness.claims.shared import per_target
from harness.interp.ablation import each_head_sites, mean_activations, patch_hooks, run_with_hooks
from harness.interp.heads import induction_scores
from harness.interp.hooks import NORM_OUT_HOOK
from harness.interp.metrics import per_token_loss
from harness.interp.neurons import (
    MONOSEMANTIC_PURITY, encoder_neuron_activations, is_encoder_decoder, live_top_class_purity, max_activating_contexts,
    neuron_activations, selected_auroc,
)
from harness.interp.probes import probe_auroc
from harness.models.memory_cache import cache_root
from harness.models.registry import get_model_spec
from harness.plain import plain

HERE = Path(__file__).parent
N_WINDOWS = 24
MAX_WINDOW = 64
MAX_LAYERS = 8  # SmolLM2's first 8 of 30 layers: a forward through all 30 costs ~30 s here
PAGE = 20  # contexts on a neuron's page: its strongest activations, as on a Neuroscope page


def pytest_collection_modifyitems(config, items):
    for item in items:
        target = getattr(item, "callspec", None) and item.callspec.params.get("target")
        if HERE in item.path.parents and target is not None and target.model in FAMILY:
            item.add_marker(pytest.mark.lm)


class NeuronMeasurements:
    """One prompt draw (``seed``) of the probe windows and what the claims measure on them: the
    neurons' activations, flattened over (window, position) without the BOS position, per-token
    losses, head ablations; and the model's induction scores."""

    def __init__(self, model, seed: int, codec: TextCodec):
        self.model, self.seed, self.codec = model, seed, codec

    @functools.cached_property
    def layers(self) -> list[int]:
        return list(range(min(self.model.cfg.n_layers, MAX_LAYERS)))

    @functools.cached_property
    def probe_layer(self) -> int:
        """The layer whose MLP input the code/prose probe reads: the middle measured layer."""
        return self.layers[len(self.layers) // 2]

    @functools.cached_property
    def windows(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(tokens [N_WINDOWS, 1 + length], is_code [N_WINDOWS])."""
        length = min(MAX_WINDOW, self.model.cfg.n_ctx - 1)
        return probe_windows(self.codec, N_WINDOWS, length, seed=1000 + self.seed)

    @functools.cached_property
    def _forward(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        norm_hook = NORM_OUT_HOOK.format(layer=self.probe_layer, norm="ln2")
        return neuron_activations(self.model, self.windows[0], self.layers, extra_hooks=[norm_hook])

    @functools.cached_property
    def acts(self) -> torch.Tensor:
        """[n_layers_measured, n_tokens, d_mlp]."""
        return self._forward[0][:, :, 1:].flatten(1, 2)

    @functools.cached_property
    def mlp_input(self) -> torch.Tensor:
        """[n_tokens, d_model]: what the probe layer's MLP reads (its norm's output)."""
        return next(iter(self._forward[1].values()))[:, 1:].flatten(0, 1)

    @functools.cached_property
    def token_ids(self) -> torch.Tensor:
        """[n_tokens] the current token at each measured position."""
        return self.windows[0][:, 1:].flatten()

    @functools.cached_property
    def is_code(self) -> torch.Tensor:
        """[n_tokens] bool: the position is in a code window."""
        return self.windows[1][:, None].expand(-1, self.windows[0].shape[1] - 1).flatten()

    @functools.cache
    def neuroscope(self, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(values [d_mlp, PAGE], contexts [d_mlp, PAGE, 8]): ``max_activating_contexts`` of MLP
        ``layer``'s neurons over the windows (BOS left out), computed once per layer and draw."""
        windows = self.windows[0][:, 1:]
        return max_activating_contexts(self.acts[self.layers.index(layer)].unflatten(0, windows.shape), windows, k=PAGE)

    def matches(self, pattern: str) -> torch.Tensor:
        """[n_tokens] bool: the current token's text matches ``pattern``."""
        return regex_labels(self.codec, self.token_ids, pattern)

    @functools.cached_property
    def classes(self) -> torch.Tensor:
        """[n_tokens] int: token kind (``catalog.prompts.probe_text.TOKEN_KINDS``) x prose / code."""
        return token_classes(self.codec, self.token_ids) * 2 + self.is_code.long()

    @functools.cached_property
    def token_losses(self) -> torch.Tensor:
        """[N_WINDOWS, length] next-token loss at each window position."""
        with torch.inference_mode():
            return per_token_loss(self.model(self.windows[0]), self.windows[0]).cpu()

    @functools.cached_property
    def selection(self) -> torch.Tensor:
        """[n_tokens] bool: the first half of the windows of each kind (prose, code) selects a
        neuron, the second half scores it."""
        n_prose = int((~self.windows[1]).sum())
        first = torch.tensor([i < n_prose // 2 or n_prose <= i < n_prose + (N_WINDOWS - n_prose) // 2
                              for i in range(N_WINDOWS)])
        return first[:, None].expand(-1, self.windows[0].shape[1] - 1).flatten()

    @functools.cached_property
    def head_ablation_increase(self) -> torch.Tensor:
        """[n_layers, n_heads]: mean probe-window loss when one head is mean-ablated (means over
        the same windows) minus the clean loss."""
        tokens = self.windows[0]
        clean = self.token_losses.mean()
        sites = each_head_sites(self.model.cfg.n_layers, self.model.cfg.n_heads)
        means = mean_activations(self.model, tokens, {name for name, _ in sites})  # one pass for every head
        increase = [per_token_loss(run_with_hooks(self.model, tokens, patch_hooks([site], means)).cpu(), tokens).mean()
                    - clean for site in sites]
        return torch.stack(increase).view(self.model.cfg.n_layers, self.model.cfg.n_heads)

    @functools.cached_property
    def induction_scores(self) -> torch.Tensor:
        """[n_layers, n_heads] induction scores on 32 repeated random-token sequences (halves of 20
        tokens, or what the context holds; data seed 1000 + the prompt seed)."""
        half_len = min(REPEAT_HALF_LEN, (self.model.cfg.n_ctx - 1) // 2)
        return induction_scores(self.model, repeated_tokens_for(self.model, 32, half_len, 1000 + self.seed)).cpu()


def measurements(model, name: str) -> Callable[[int], NeuronMeasurements]:
    """``measurements(model, name)(prompt_seed)``: the model's measurements on that prompt draw,
    built once per draw."""
    tokenizer_of = getattr(get_model_spec(name), "tokenizer", None)  # the family's own BPE; else the model's
    codec = codec_for(model, tokenizer_of(cache_root()) if tokenizer_of else None)
    return functools.cache(lambda seed: NeuronMeasurements(model, seed, codec))


@per_target
def neurons_by_seed(model, target) -> Callable[[int], NeuronMeasurements]:
    """The claim's model's measurements by prompt draw (shared by the claims on the model)."""
    return measurements(model, target.model)


@pytest.fixture
def neurons(neurons_by_seed, prompt_seed) -> NeuronMeasurements:
    """The shared neuron measurements of the claim's model on the claim's prompt draw."""
    return neurons_by_seed(prompt_seed)


@pytest.fixture
def show_neuron(neurons, evidence) -> Callable[[int, int], None]:
    """``show_neuron(layer, neuron)``: the neuron's page in the report (``Evidence.show_neuron``):
    its ``PAGE`` max-activating contexts over the claim's probe windows (``neurons.neuroscope``)."""
    def show(layer: int, neuron: int) -> None:
        values, contexts = neurons.neuroscope(layer)
        evidence.show_neuron(layer, neuron, values[neuron], contexts[neuron], neurons.codec.decode)

    return show


@pytest.fixture
def baseline_neurons(model_at_seed, prompt_seed):
    """``baseline_neurons(name)``: the measurements of another model on the claim's prompt draw."""
    return lambda name: measurements(model_at_seed(name), name)(prompt_seed)


# --- Issue #18 (4.31, 4.35, 4.36): two simple features and the first MLP layer's dense probe for
# each, fitted once per prompt draw for the claims that share it (claims/neurons/test_superposition.py). ---

SIMPLE_FEATURES: dict[str, Callable[[NeuronMeasurements], torch.Tensor]] = {
    "number": lambda m: m.matches(TOKEN_KINDS["number"]),  # the current token is digits
    "code": lambda m: m.is_code,  # the position is in a code window
}


@per_target
def first_layer_probe(neurons_by_seed) -> Callable[[int, str], float]:
    """``first_layer_probe(prompt_seed, feature)``: held-out AUROC of a ``probe_auroc`` on every
    neuron of MLP 0 for a ``SIMPLE_FEATURES`` label, fitted on ``selection`` (once per draw)."""
    def fit(seed: int, feature: str) -> float:
        m = neurons_by_seed(seed)
        return probe_auroc(m.acts[0], SIMPLE_FEATURES[feature](m), m.selection)

    return functools.cache(fit)


@pytest.fixture
def simple_features(neurons) -> dict[str, torch.Tensor]:
    """{feature: [n_tokens] bool} the ``SIMPLE_FEATURES`` labels on the claim's prompt draw."""
    return {name: label(neurons) for name, label in SIMPLE_FEATURES.items()}


# --- Issue #18 (4.37, 4.41, 4.42): the share of monosemantic first-layer neurons, one measure for
# SoLU / GELU (4.37), ReLU / GELU (4.41) and a 100 x d_model MLP against 4 x (4.42). ---

def monosemantic_share(m: NeuronMeasurements) -> torch.Tensor:
    """The share of the first layer's live neurons that look monosemantic, at least
    ``MONOSEMANTIC_PURITY`` of their 20 strongest activations in one token class
    (``live_top_class_purity``; classes as 1.7; a dead ReLU neuron's ties are left out)."""
    return (live_top_class_purity(m.acts[0], m.classes) >= MONOSEMANTIC_PURITY).float().mean()


@pytest.fixture
def expect_more_monosemantic(neurons, baseline_neurons, evidence) -> Callable[[str, str, str], None]:
    """``expect_more_monosemantic(baseline, label, baseline_label)``: notes the ``monosemantic_share``
    of the claim's model and of the ``baseline`` model on the same prompt draw, and expects the
    claim's model's to be larger (difference > 0)."""
    def expect(baseline: str, label: str, baseline_label: str) -> None:
        shares = [monosemantic_share(m) for m in (neurons, baseline_neurons(baseline))]
        evidence.note(f"share monosemantic {label} / {baseline_label}", plain(shares, 3))
        evidence.expect(f"{label} - {baseline_label} share of monosemantic neurons", shares[0] - shares[1], ">", 0.0)

    return expect


# --- Issue #18 (4.43): T5, an encoder-decoder; its neurons are its encoder MLPs' (the decoder's read
# the encoder's output too, the encoder's only the text), measured on the same probe windows. ---


class EncoderNeuronMeasurements(NeuronMeasurements):
    """``NeuronMeasurements`` of an encoder-decoder model (T5): the probe windows fed to its
    encoder, ``acts`` its encoder MLPs' neurons (``encoder_neuron_activations``); no MLP input."""

    @functools.cached_property
    def _forward(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return encoder_neuron_activations(self.model, self.windows[0], self.layers), {}


@per_target
def mlp_neurons_by_seed(model, neurons_by_seed) -> Callable[[int], NeuronMeasurements]:
    """``neurons_by_seed``, or for an encoder-decoder model its encoder's measurements by prompt draw."""
    if not is_encoder_decoder(model):
        return neurons_by_seed
    codec = codec_for(model)
    return functools.cache(lambda seed: EncoderNeuronMeasurements(model, seed, codec))


@pytest.fixture
def mlp_neurons(mlp_neurons_by_seed, prompt_seed) -> NeuronMeasurements:
    """``neurons`` of any model, T5 included, on the claim's prompt draw."""
    return mlp_neurons_by_seed(prompt_seed)


# --- Issue #18 (4.32, 4.33): the number neuron of MLP 0 (4.31's feature), chosen per prompt draw
# (claims/neurons/test_number_neuron.py). ---

@per_target
def number_neuron_by_seed(neurons_by_seed) -> Callable[[int], int]:
    """``number_neuron_by_seed(prompt_seed)``: the MLP-0 neuron whose activation best separates
    number tokens (AUROC) on the selection half of that draw (4.36's best single neuron), chosen
    once per draw for the claims that share it."""
    def choose(seed: int) -> int:
        m = neurons_by_seed(seed)
        return selected_auroc(m.acts[0], SIMPLE_FEATURES["number"](m), m.selection)[0]

    return functools.cache(choose)


@pytest.fixture
def number_neuron(number_neuron_by_seed, prompt_seed) -> int:
    """The number neuron (``number_neuron_by_seed``) of the claim's prompt draw."""
    return number_neuron_by_seed(prompt_seed)


@per_target
def number_vocabulary(model, neurons_by_seed) -> torch.Tensor:
    """[d_vocab] bool: the vocabulary's number tokens (``TOKEN_KINDS["number"]``), decoded once."""
    return regex_labels(neurons_by_seed(0).codec, torch.arange(model.cfg.d_vocab), TOKEN_KINDS["number"])
