"""Hub models, loaded from ``$MI_CLAIMS_HF_LOCAL_DIR/<name>`` or the local HF cache without
touching the network; only when neither has them, and the hub is reachable and
``HF_HUB_OFFLINE`` is not set, are they downloaded. Otherwise ``ModelUnavailable`` says why.
The catalog names the models and their repos (``catalog/pretrained.py``)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from harness.models.pretrained.hf_local import boot_hf_local, hf_cache_snapshot
from harness.models.pretrained.tl_legacy import boot_tl_legacy_local, is_tl_legacy, legacy_final_weights
from harness.models.registry import ModelUnavailable

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge

LOCAL_DIR_ENV = "MI_CLAIMS_HF_LOCAL_DIR"
HUB_TIMEOUT_S = 3.0


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
    if is_tl_legacy(repo_id):
        return legacy_final_weights(directory) is not None
    patterns = ("*.safetensors", "pytorch_model*.bin")
    return any(next(directory.glob(pattern), None) is not None for pattern in patterns)


def local_model_dir(name: str, repo_id: str) -> Path | None:
    """Where the weights of hub model ``name`` (``repo_id`` on the hub) are on this machine, found without network:
    ``$MI_CLAIMS_HF_LOCAL_DIR/<name>`` first, then the HF cache. None when neither has them.

    Raises ``ModelUnavailable`` when ``$MI_CLAIMS_HF_LOCAL_DIR/<name>`` exists but lacks them.
    """
    if root := os.environ.get(LOCAL_DIR_ENV):
        directory = Path(root).expanduser() / name
        if directory.is_dir():
            if not _has_weights(directory, repo_id):
                raise ModelUnavailable(
                    f"{directory} (from ${LOCAL_DIR_ENV}) has no config.json and weights for {name}"
                )
            return directory
    snapshot = hf_cache_snapshot(repo_id)
    if snapshot is not None and _has_weights(snapshot, repo_id):
        return snapshot
    return None


def _boot_from_hub(name: str, repo_id: str, device: str) -> TransformerBridge:
    """Download ``repo_id`` through TransformerLens (into the HF cache) and wrap it."""
    from huggingface_hub.errors import HfHubHTTPError
    from transformer_lens.model_bridge import TransformerBridge

    try:
        if is_tl_legacy(repo_id):
            return TransformerBridge.boot_tl_legacy(repo_id, device=device)
        return TransformerBridge.boot_transformers(repo_id, device=device)
    except (OSError, HfHubHTTPError) as err:
        raise ModelUnavailable(
            f"downloading {name} ({repo_id}) from the hub failed: {err}"
        ) from err


def load_hub_model(name: str, repo_id: str, device: str = "cpu") -> TransformerBridge:
    """Hub model ``name`` (``repo_id`` on the hub) as a float32 ``TransformerBridge``.

    Local copies come first and load without network: ``$MI_CLAIMS_HF_LOCAL_DIR/<name>`` (an
    HF-format directory, or for the NeelNanda models a legacy TL one with ``*final.pth``), then
    the HF cache. Failing those the hub is tried, unless ``HF_HUB_OFFLINE`` is set or it does
    not answer within a few seconds, in which case ``ModelUnavailable`` says so.
    """
    directory = local_model_dir(name, repo_id)
    if directory is not None:
        if is_tl_legacy(repo_id):
            return boot_tl_legacy_local(repo_id, directory, device, allow_hub=hub_unreachable_reason() is None)
        return boot_hf_local(repo_id, directory, device)
    why_not_hub = hub_unreachable_reason()
    if why_not_hub is not None:
        searched = "the HF cache"
        if os.environ.get(LOCAL_DIR_ENV):
            searched = f"${LOCAL_DIR_ENV}/{name} or " + searched
        raise ModelUnavailable(
            f"weights for {name} ({repo_id}) not found in {searched}, and {why_not_hub}"
        )
    return _boot_from_hub(name, repo_id, device)
