"""Neurons, and how 1-4 layer models differ (section 1, issue #14): the measurements the claims
share, as the ``neurons`` fixture (one object per model and seed, each part computed on first use).

Seeds: seed k is the family's training seed k (``lm-*``, trained here in the opt-in ``lm`` tier)
and, for every model, the draw of the probe windows (``catalog.prompts.probe_text``, data seed
1000 + k); for a pretrained model (SmolLM2, the TransformerLens originals: one set of weights)
the seeds are therefore three prompt draws. Seed 0 runs in the default tier, seeds 1-2 are
``slow``; every claim on a family member is marked ``lm``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch

from catalog.lm import FAMILY
from catalog.pretrained import HUB_MODELS, SMOLLM2
from catalog.prompts.probe_text import TextCodec, codec_for, probe_windows, regex_labels, token_classes
from harness.claims.shared import mark_slow_beyond, per_target
from harness.interp.hooks import NORM_OUT_HOOK
from harness.interp.metrics import per_token_loss
from harness.interp.neurons import neuron_activations
from harness.models.memory_cache import cache_root
from harness.models.registry import get_model_spec

HERE = Path(__file__).parent
N_WINDOWS = 24
MAX_WINDOW = 64
MAX_LAYERS = 8  # SmolLM2's first 8 of 30 layers: a forward through all 30 costs ~30 s here


def pytest_collection_modifyitems(config, items):
    mark_slow_beyond(items, HERE, {0}, {SMOLLM2, *HUB_MODELS})
    for item in items:
        target = getattr(item, "callspec", None) and item.callspec.params.get("target")
        if HERE in item.path.parents and target is not None and target.model in FAMILY:
            item.add_marker(pytest.mark.lm)


class NeuronMeasurements:
    """Probe windows of the model's seed and its neurons' activations on them, flattened over
    (window, position) without the BOS position."""

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
        acts = self._forward[0][:, :, 1:]
        return acts.flatten(1, 2)

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


@per_target
def neurons(model, target) -> NeuronMeasurements:
    """The shared neuron measurements of the claim's model at the claim's seed."""
    tokenizer_of = getattr(get_model_spec(target.model), "tokenizer", None)  # the family's own BPE
    return NeuronMeasurements(model, target.seed, codec_for(model, tokenizer_of(cache_root()) if tokenizer_of else None))
