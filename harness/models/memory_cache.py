"""In-process model cache: each worker loads each (model, seed) once, on the best device."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from harness.models.disk_cache import default_cache_root
from harness.models.registry import ModelUnavailable, get_model_spec

_cache_root: Path | None = None
_loaded: dict[tuple[str, int], Any] = {}
_unavailable: dict[tuple[str, int], ModelUnavailable] = {}


def set_cache_root(path: Path | None) -> None:
    global _cache_root
    _cache_root = Path(path) if path is not None else None


def cache_root() -> Path:
    return _cache_root or default_cache_root()


def best_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_model(name: str, seed: int) -> Any:
    """The model ``name`` at ``seed``, loaded once per process and moved to ``best_device()``.

    Raises ``ModelUnavailable`` (remembered, so later claims skip at once) when its weights
    cannot be obtained here.
    """
    key = (name, seed)
    if key in _unavailable:
        raise _unavailable[key]
    if key not in _loaded:
        try:
            model = get_model_spec(name).load(seed, cache_root())
        except ModelUnavailable as err:
            _unavailable[key] = err
            raise
        _loaded[key] = model.to(best_device()) if hasattr(model, "to") else model
    return _loaded[key]


def load_checkpoints(name: str, seed: int) -> dict[int, Any]:
    """{step: model} saved by the (disk-cached) training run of ``name`` at ``seed``, on the
    CPU; for models whose spec keeps checkpoints (toy transformers and MLPs)."""
    spec = get_model_spec(name)
    if not hasattr(spec, "checkpoints"):
        raise TypeError(f"model {name!r} keeps no training checkpoints")
    return spec.checkpoints(seed, cache_root())
