"""Booting a ``TransformerBridge`` from a model already on this machine: an HF-format
directory (config.json, weights, tokenizer) or an HF model object; never touches the network.
torch, transformers and transformer_lens are imported inside the functions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.models.registry import ModelUnavailable

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model")


def bridge_from_hf_model(
    repo_id: str, model: Any, tokenizer: Any, device: str
) -> TransformerBridge:
    """Wrap an already-loaded HF model; with ``hf_model`` and a tokenizer given, boot makes no
    hub call (``repo_id`` only names the model in ``bridge.cfg.model_name``)."""
    from transformer_lens.model_bridge import TransformerBridge

    model = model.to(device).eval()
    return TransformerBridge.boot_transformers(
        repo_id, hf_model=model, tokenizer=tokenizer, device=device
    )


def hf_cache_snapshot(repo_id: str, revision: str | None = None) -> Path | None:
    """The cached snapshot directory of ``repo_id`` (at ``revision``, default main) in the local HF cache, or None."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def load_tokenizer(candidates: list[Path | str], allow_hub: bool) -> Any:
    """The first tokenizer that loads from ``candidates`` (directories or repo ids), local
    files only unless ``allow_hub``."""
    from transformers import AutoTokenizer

    failures = []
    for candidate in candidates:
        if isinstance(candidate, str) and not allow_hub:
            snapshot = hf_cache_snapshot(candidate)
            if snapshot is None:
                failures.append(f"{candidate}: not in the HF cache")
                continue
            candidate = snapshot
        if isinstance(candidate, Path) and not any(
            (candidate / name).is_file() for name in TOKENIZER_FILES
        ):
            failures.append(f"{candidate}: no tokenizer files")
            continue
        try:
            return AutoTokenizer.from_pretrained(candidate, local_files_only=not allow_hub)
        except (OSError, ValueError, TypeError) as err:
            failures.append(f"{candidate}: {err}")
    raise ModelUnavailable("no tokenizer could be loaded (" + "; ".join(failures) + ")")


def boot_hf_local(repo_id: str, directory: Path, device: str) -> TransformerBridge:
    """A bridge from an HF-format model directory (config.json + weights + tokenizer): a causal
    LM, or an encoder-decoder (T5, problem 4.43) as its sequence-to-sequence LM, which the bridge's
    T5 adapter hooks (``encoder_blocks.<layer>``, ``decoder_blocks.<layer>``)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    config = AutoConfig.from_pretrained(directory, local_files_only=True)
    auto = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
    model = auto.from_pretrained(directory, dtype=torch.float32, local_files_only=True)
    tokenizer = load_tokenizer([directory], allow_hub=False)
    return bridge_from_hf_model(repo_id, model, tokenizer, device)
