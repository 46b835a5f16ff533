"""In-process model cache: each worker loads each (model, seed) once, on the best device."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import torch

from harness.disk_cache import default_cache_root
from harness.registry import ModelUnavailable, get_model_spec

_cache_root: Optional[Path] = None
_loaded: dict[tuple[str, int], Any] = {}
_unavailable: dict[tuple[str, int], ModelUnavailable] = {}


def set_cache_root(path: Optional[Path]) -> None:
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
