"""Legacy TransformerLens repos (``NeelNanda/...``: ``*.pth`` state dicts and a TL
config.json, no ``model_type``), booted from a local copy. Mirrors TransformerLens 4.3's
``tl_legacy.boot``, which cannot run offline: it lists the repo's files on the hub even when
everything is cached."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.models.pretrained.hf_local import load_tokenizer

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge

# the same prefixes as transformer_lens.model_bridge.sources.tl_legacy.TL_LEGACY_PREFIXES
TL_LEGACY_PREFIXES = ("NeelNanda/", "ArthurConmy/", "Baidicoot/")


def is_tl_legacy(repo_id: str) -> bool:
    return repo_id.startswith(TL_LEGACY_PREFIXES)


def legacy_final_weights(directory: Path) -> Path | None:
    """The final ``*final.pth`` state dict of a legacy TL repo (top level before subfolders)."""
    for pattern in ("*final.pth", "**/*final.pth"):
        matches = sorted(directory.glob(pattern))
        if matches:
            return matches[0]
    return None


def legacy_config(config: dict[str, Any], repo_id: str) -> Any:
    """The ``TransformerBridgeConfig`` of a legacy TL repo from its config.json, field by field
    as TransformerLens 4.3's ``tl_legacy.derive_tl_legacy_config`` maps them (which reads the
    file from the hub only)."""
    from transformer_lens.config import TransformerBridgeConfig

    if config.get("shortformer_pos", False):
        raise NotImplementedError(f"{repo_id} uses shortformer positional embeddings, which the native bridge does not implement")
    cfg = TransformerBridgeConfig(
        d_model=config["d_model"], n_layers=config["n_layers"], d_mlp=config["d_mlp"], d_head=config["d_head"],
        n_heads=config["n_heads"], n_ctx=config["n_ctx"], d_vocab=config["d_vocab"], act_fn=config["act_fn"],
        attn_only=config["attn_only"], final_rms=config.get("final_rms", False),
        normalization_type=config.get("normalization", config.get("normalization_type")),
        positional_embedding_type="standard", tokenizer_name=config.get("tokenizer_name"),
        architecture="TransformerLensNative",
    )
    cfg.original_architecture = config.get("architecture", "neel" if "_old" not in repo_id else "neel-solu-old")
    return cfg


def boot_tl_legacy_local(repo_id: str, directory: Path, device: str, allow_hub: bool) -> TransformerBridge:
    """A bridge from a local copy of a legacy TransformerLens repo, as ``tl_legacy.boot``
    builds it (TransformerLens 4.3); the tokenizer may come from the hub if ``allow_hub``."""
    import torch
    from transformer_lens.model_bridge.sources import tl_legacy
    from transformer_lens.model_bridge.sources.native import boot as boot_native
    from transformer_lens.utilities.tl_checkpoint_conversion import convert_tl_checkpoint

    cfg = legacy_config(json.loads((directory / "config.json").read_text()), repo_id)
    cfg.checkpoint_index = None
    cfg.checkpoint_value = None
    sources: list[Path | str] = [directory]
    if cfg.tokenizer_name:
        sources.append(cfg.tokenizer_name)
    tokenizer = load_tokenizer(sources, allow_hub=allow_hub)

    weights = legacy_final_weights(directory)
    assert weights is not None, f"no *final.pth in {directory}"
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = {key: value.to(torch.float32) for key, value in state.items()}
    if cfg.original_architecture == "neel-solu-old":
        state = tl_legacy._convert_neel_solu_old_weights(state, cfg)
    elif cfg.original_architecture == "mingpt":
        state = tl_legacy._convert_mingpt_weights(state, cfg)
    converted = convert_tl_checkpoint(state, cfg)
    converted.setdefault("unembed.bias", torch.zeros(cfg.d_vocab))  # as tl_legacy.boot does

    bridge = boot_native(cfg, tokenizer=tokenizer, device=device, dtype=torch.float32, model_name=repo_id)
    bridge.load_state_dict({k: v.to(device) for k, v in converted.items()}, strict=True)
    return bridge
