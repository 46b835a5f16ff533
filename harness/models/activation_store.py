"""Clean-pass activations on disk, under the in-process memo (``harness.interp.activation_cache``),
so that a warm run reads a prompt set's activations instead of running the pass again.

One file per (model weights, tokens, early stop, hook name): ``<root>/<key>.safetensors``,
``key`` = sha256 of the loaded model's weight hash and config, the tokens' digest,
``stop_at_layer``, the hook name, the device kind and dtype the pass ran in and the code version
(torch, TransformerLens, ``STORE_VERSION``): other weights, prompts or code never read a stale
entry. Only models loaded by ``memory_cache.load_model`` (whose weight hash is known) and not
edited in place since are stored. Writes are atomic (a
temporary file renamed into place); reads touch the file, and after each write the least
recently used files go until the folder holds at most ``max_bytes``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import tempfile
import time
import weakref
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from harness.interp.activation_cache import CleanRun, parameters_key, parse_size
from harness.models.devices import device_kind

# bump when what a pass caches under a hook name changes meaning
STORE_VERSION = 1
LOGITS = "logits"
SUFFIX = ".safetensors"

_weights: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def know_weights(model: torch.nn.Module, weights: str) -> None:
    """Record ``model``'s weight hash (``memory_cache.load_model`` does, for every model it loads),
    valid while its parameters keep their current versions (an in-place edit makes it unknown)."""
    _weights[model] = (weights, parameters_key(model))


def code_version() -> str:
    return f"{STORE_VERSION}|torch {torch.__version__}|transformer-lens {importlib.metadata.version('transformer-lens')}"


class DiskActivationStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root, self.max_bytes = Path(root), max_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        self.version = code_version()

    @classmethod
    def of_size(cls, root: Path, size: str) -> DiskActivationStore:
        """A store under ``root`` holding at most ``size`` (``"4G"``, ``"500M"``...); ``ValueError``
        for a bad or non-positive size."""
        max_bytes = parse_size(size)
        if max_bytes <= 0:
            raise ValueError("the size must be positive (leave the option out for no disk store)")
        return cls(root, max_bytes)

    def path(self, model, digest: str, stop_at_layer: int | None, name: str) -> Path | None:
        """The entry's file; ``None`` for a model whose weights are unknown or edited since loading."""
        weights, version = _weights.get(model, (None, None))
        if weights is None or version != parameters_key(model):
            return None
        first = next(model.parameters())
        fields = [weights, repr(model.cfg), digest, stop_at_layer, name, device_kind(first.device), str(first.dtype), self.version]
        return self.root / (hashlib.sha256(json.dumps(fields).encode()).hexdigest() + SUFFIX)

    def get(self, model, digest: str, stop_at_layer: int | None, names: set[str], logits: bool) -> CleanRun | None:
        """The stored run if every one of ``names`` (and the logits if asked) is on disk."""
        wanted = [*names, *([LOGITS] if logits else [])]
        paths = {name: self.path(model, digest, stop_at_layer, name) for name in wanted}
        if any(path is None or not path.exists() for path in paths.values()):
            return None
        try:
            device = next(model.parameters()).device
            with torch.inference_mode():  # like a pass's tensors: a caller's in-place edit raises
                tensors = {name: load_file(path, device=str(device))["value"].clone() for name, path in paths.items()}
        except (OSError, SafetensorError, KeyError):  # evicted meanwhile, or corrupt: run the pass
            return None
        for path in paths.values():
            path.touch()
        return CleanRun({name: tensors[name] for name in names}, tensors.get(LOGITS))

    def put(self, model, digest: str, stop_at_layer: int | None, run: CleanRun) -> None:
        tensors = {**run.activations, **({} if run.logits is None else {LOGITS: run.logits})}
        for name, tensor in tensors.items():
            path = self.path(model, digest, stop_at_layer, name)
            if path is None or tensor.numel() * tensor.element_size() > self.max_bytes // 4:
                continue
            handle, temporary = tempfile.mkstemp(dir=self.root, suffix=".tmp")
            os.close(handle)
            save_file({"value": tensor.detach().cpu().contiguous()}, temporary)
            os.replace(temporary, path)
        self.evict()

    def evict(self) -> None:
        """Remove the least recently used files until the store holds at most ``max_bytes`` (the
        temporary files of writers killed an hour or more ago go first)."""
        for path in self.root.glob("*.tmp"):
            try:
                if time.time() - path.stat().st_mtime > 3600:
                    path.unlink()
            except FileNotFoundError:
                pass
        files = []
        for path in self.root.glob(f"*{SUFFIX}"):
            try:
                stat = path.stat()
            except FileNotFoundError:  # another worker evicted it
                continue
            files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
