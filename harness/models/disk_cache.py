"""Content-addressed disk cache for trained artifacts (weights + metadata).

Layout: ``<root>/<key>/tensors.safetensors`` and ``<root>/<key>/meta.json``, where ``key`` is
the SHA-256 of the canonical JSON of what produced the artifact (spec, seed, code version).
``meta.json`` carries the SHA-256 of the tensor file and of its own content, so a corrupted or
truncated file is detected on read and rebuilt. Writes go to a temporary directory that is
renamed into place (atomic on one filesystem), under a file lock so that parallel workers build
a key once while the others wait.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

import torch
from filelock import FileLock
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

TENSORS = "tensors.safetensors"
META = "meta.json"

Artifact = tuple[dict[str, torch.Tensor], dict[str, Any]]


class CorruptArtifact(Exception):
    """A cache entry whose files do not match their recorded checksum."""


def default_cache_root() -> Path:
    """``$MI_CLAIMS_CACHE`` if set, else the user's cache dir (XDG) / mi-claims."""
    if env := os.environ.get("MI_CLAIMS_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mi-claims"


def artifact_key(payload: dict[str, Any]) -> str:
    """SHA-256 hex digest of the canonical JSON of ``payload``."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def meta_sha256(meta: dict[str, Any]) -> str:
    """SHA-256 of ``meta`` (JSON values) without its own checksum field."""
    return artifact_key({k: v for k, v in meta.items() if k != "meta_sha256"})


def read_artifact(entry: Path) -> Artifact:
    """Load and verify one cache entry; raises ``CorruptArtifact`` on any mismatch."""
    try:
        meta = json.loads((entry / META).read_text())
        # entries written before meta.json had its own checksum have none: only tensors checked
        if "meta_sha256" in meta and meta_sha256(meta) != meta["meta_sha256"]:
            raise CorruptArtifact(f"checksum mismatch in {entry / META}")
        if file_sha256(entry / TENSORS) != meta["sha256"]:
            raise CorruptArtifact(f"checksum mismatch in {entry / TENSORS}")
        return load_file(entry / TENSORS), meta
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as err:  # missing file, bad JSON, ...
        raise CorruptArtifact(f"{entry}: {err!r}") from err


def write_artifact(entry: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write an entry atomically: build it in a sibling temp dir, then rename it into place."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        save_file({k: v.contiguous() for k, v in tensors.items()}, tmp / TENSORS)
        # through JSON once, so that the checksum is that of what a reader gets back
        meta = json.loads(json.dumps({**meta, "sha256": file_sha256(tmp / TENSORS)}, default=str))
        meta["meta_sha256"] = meta_sha256(meta)
        (tmp / META).write_text(json.dumps(meta, indent=1, sort_keys=True))
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def cached_artifact(
    root: Path, payload: dict[str, Any], build: Callable[[], Artifact]
) -> Artifact:
    """Return the artifact for ``payload``, building and storing it on a miss.

    ``build`` returns ``(tensors, meta)``; ``payload`` is stored in the meta. A corrupt entry
    is rebuilt with a warning. Concurrent callers with the same payload build it once.
    """
    key = artifact_key(payload)
    entry = Path(root) / key
    entry.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(entry) + ".lock"):
        if entry.exists():
            try:
                return read_artifact(entry)
            except CorruptArtifact as err:
                warnings.warn(f"mi-claims cache: {err}; rebuilding", RuntimeWarning, stacklevel=2)
        tensors, meta = build()
        write_artifact(entry, tensors, {**meta, "payload": payload, "key": key})
        return read_artifact(entry)
