"""Measurements over a model's training checkpoints, kept on disk beside the models: each
(checkpoint, metric) is evaluated once and read back by every later run.

One file per evaluation: ``<cache root>/metrics/<key>.pt``, ``key`` = sha256 of the metric's
name, its inputs (tensors by content), the checkpoint's class, config and weight hash, the device
kind and dtype it ran in, and the code that measures: the versions of torch, TransformerLens and
transformers, and the source of ``harness/`` and ``catalog/`` and of the file that defines the
measurement. Any change to that code, to the inputs or to the weights gives a
new key, so a stale value is never read; the old files stay until the cache is cleared. Writes
are atomic (a temporary file renamed into place); an unreadable file is measured again.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable, TypeVar

import torch

from harness.models.devices import device_kind
from harness.models.memory_cache import cache_root, placement, weight_hash

T = TypeVar("T")
DIRNAME = "metrics"
PACKAGES = ("harness", "catalog")  # whose source every metric's key includes
LIBRARIES = ("torch", "transformer-lens", "transformers")  # whose code runs the models


@functools.cache
def source_digest(*files: Path) -> str:
    """sha256 of the Python source of ``PACKAGES`` and of ``files``, in sorted path order."""
    repo = Path(__file__).resolve().parents[2]
    paths = sorted({*(p for package in PACKAGES for p in (repo / package).rglob("*.py")), *files})
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{path.relative_to(repo) if path.is_relative_to(repo) else path}|".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def input_digest(value: Any) -> Any:
    """A JSON-able stand-in for a metric input: tensors by dtype, shape and content."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        return [str(tensor.dtype), list(tensor.shape), hashlib.sha256(tensor.reshape(-1).view(torch.uint8).numpy().tobytes()).hexdigest()]
    if isinstance(value, (list, tuple)):
        return [input_digest(v) for v in value]
    if isinstance(value, dict):
        return {str(k): input_digest(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return repr(value)


@functools.cache
def library_versions() -> str:
    return "|".join(f"{package} {importlib.metadata.version(package)}" for package in LIBRARIES)


def metric_path(root: Path, name: str, code: str, inputs: Any, model: Any) -> Path:
    """Two architectures can share a checkpoint's weights (a seed's initialisation), so the
    model's class and config (its module tree, for a model without ``cfg``) are in the key."""
    where = placement(model)
    fields = [name, code, library_versions(), input_digest(inputs), type(model).__qualname__, repr(getattr(model, "cfg", model)),
              weight_hash(model), device_kind(torch.device(where["device"] or "cpu")), where["dtype"]]
    return root / DIRNAME / (hashlib.sha256(json.dumps(fields).encode()).hexdigest() + ".pt")


def read(path: Path) -> tuple[bool, Any]:
    try:
        return True, torch.load(path, weights_only=True)["value"]
    except (OSError, EOFError, RuntimeError, KeyError, ValueError, pickle.UnpicklingError):  # missing or corrupt: measure again
        return False, None


def write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    try:
        torch.save({"value": value}, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def over_checkpoints(checkpoints: dict[int, Any], name: str, measure: Callable[[Any], T], *inputs: Any,
                     root: Path | None = None) -> list[T]:
    """``[measure(model) for model in checkpoints.values()]``, each value read from the disk cache
    when this checkpoint was measured before by the metric ``name`` on the same ``inputs`` (what
    ``measure`` reads besides the model: tokens, targets, a layer...) with the same code.

    ``name`` must say what ``measure`` computes: two metrics of one name, one module and one set
    of inputs share entries. Values: anything ``torch.load(weights_only=True)`` reads back
    (tensors, numbers, and lists / dicts of them)."""
    if isinstance(measure, functools.partial):  # its file would be functools'
        raise TypeError("over_checkpoints: pass a function (a lambda or def), not a functools.partial")
    defined = measure if inspect.isroutine(measure) else type(measure)  # a function, or a callable object
    code = source_digest(Path(inspect.getsourcefile(defined)).resolve())
    folder = root or cache_root()
    values = []
    for model in checkpoints.values():
        path = metric_path(folder, name, code, inputs, model)
        found, value = read(path)
        if not found:
            value = measure(model)
            write(path, value.clone() if isinstance(value, torch.Tensor) else value)  # a view would save its whole storage
        values.append(value)
    return values
