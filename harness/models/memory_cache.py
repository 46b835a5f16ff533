"""In-process model cache: each worker loads each (model, seed) once, on the best device, and
records its provenance (weight hash, device, dtype) for the report."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import torch

from harness.models import activation_store, passes
from harness.models.devices import CPU_KIND, best_device, inputs_follow_the_model
from harness.models.disk_cache import default_cache_root
from harness.models.registry import ModelUnavailable, get_model_spec

_cache_root: Path | None = None
_loaded: dict[tuple[str, int], Any] = {}
_unavailable: dict[tuple[str, int], ModelUnavailable] = {}
_provenance: dict[tuple[str, int], dict[str, str | None]] = {}
_dtype = torch.float32


def set_cache_root(path: Path | None) -> None:
    global _cache_root
    _cache_root = Path(path) if path is not None else None


def cache_root() -> Path:
    return _cache_root or default_cache_root()


def set_dtype(dtype: torch.dtype) -> None:
    """Run loaded models in ``dtype`` (float32 by default; bfloat16 / float16 trade precision for
    speed on a GPU: measurements then drift within the report's compare tolerance)."""
    global _dtype
    _dtype = dtype


def load_model(name: str, seed: int) -> Any:
    """The model ``name`` at ``seed``, loaded once per process and moved to ``best_device()`` in
    the run's dtype (``set_dtype``).

    Raises ``ModelUnavailable`` (remembered, so later claims skip at once) when its weights
    cannot be obtained here.
    """
    key = (name, seed)
    if key in _unavailable:
        raise _unavailable[key]
    if key not in _loaded:
        spec = get_model_spec(name)
        try:
            model = spec.load(seed, cache_root())
        except ModelUnavailable as err:
            _unavailable[key] = err
            raise
        weights = weight_hash(model)  # before the move: hashing reads the tensors on the CPU
        if hasattr(model, "to"):  # float32 (the default) keeps each model's own dtype
            model = model.to(best_device()) if _dtype == torch.float32 else model.to(best_device(), _dtype)
        if isinstance(model, torch.nn.Module) and best_device().type != CPU_KIND:
            inputs_follow_the_model(model)  # tokens built on the CPU reach the GPU's model
        _loaded[key] = model
        _provenance[key] = {"weights": weights, **placement(_loaded[key]), **getattr(spec, "origin", {})}
        passes.watch(_loaded[key], f"{name}-seed{seed}")
        if weights is not None:
            activation_store.know_weights(_loaded[key], weights)
    return _loaded[key]


def weight_hash(model: Any) -> str | None:
    """sha256 over the state dict in sorted key order (each key, dtype, shape and raw bytes):
    two models of one name but different weights never share it. ``None`` without a state dict."""
    if not hasattr(model, "state_dict"):
        return None
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def placement(model: Any) -> dict[str, str | None]:
    """The device and dtype of the model's first parameter (``None`` without parameters)."""
    first = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    return {"device": str(first.device) if first is not None else None, "dtype": str(first.dtype).removeprefix("torch.") if first is not None else None}


def provenance(name: str, seed: int) -> dict[str, str | None]:
    """``{"weights": sha256, "device", "dtype"}`` of the loaded model ``name`` at ``seed``, and
    where its weights came from for specs that say (``origin``: source, repo, revision, path);
    empty if it was not loaded in this process."""
    return dict(_provenance.get((name, seed), {}))


def load_checkpoints(name: str, seed: int) -> dict[int, Any]:
    """{step: model} saved by the (disk-cached) training run of ``name`` at ``seed``, on the
    CPU; for models whose spec keeps checkpoints (toy transformers and MLPs)."""
    spec = get_model_spec(name)
    if not hasattr(spec, "checkpoints"):
        raise TypeError(f"model {name!r} keeps no training checkpoints")
    return spec.checkpoints(seed, cache_root())


def variant_checkpoints(name: str, seed: int, **train_changes: Any) -> dict[int, Any]:
    """{step: model} of ``name`` at ``seed`` trained with these ``TrainConfig`` fields changed
    (another data order, re-randomised parts of the init: ``TrainConfig.data_seed``,
    ``reinit``), disk-cached under its own key like any spec; on the CPU."""
    spec = get_model_spec(name)
    variant = dataclasses.replace(spec, name=f"{name} (variant)", train=dataclasses.replace(spec.train, **train_changes))
    return variant.checkpoints(seed, cache_root())
