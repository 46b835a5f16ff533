"""Model registry: short names -> specs that say how to build or load a model.

``fixtures/models.py`` registers the concrete models; a spec is anything with a ``name``, a
``description`` and ``load(seed, cache_root) -> model``. Loading a model that cannot be had here
(hub weights without network) raises ``ModelUnavailable`` and claims on it are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class ModelUnavailable(Exception):
    """The weights of a model cannot be obtained on this machine; the message says why."""


class ModelSpec(Protocol):
    name: str
    description: str

    def load(self, seed: int, cache_root: Path) -> Any: ...


_MODELS: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> ModelSpec:
    if spec.name in _MODELS and _MODELS[spec.name] != spec:
        raise ValueError(f"model {spec.name!r} is registered twice with different specs")
    _MODELS[spec.name] = spec
    return spec


def get_model_spec(name: str) -> ModelSpec:
    try:
        return _MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; registered: {', '.join(sorted(_MODELS))}") from None


def model_names() -> list[str]:
    return sorted(_MODELS)
