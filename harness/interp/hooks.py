"""Every TransformerLens hook name the toolkit uses, and the types that address a model's parts.

Templates take ``layer`` (and ``where``, ``component``, ``kind`` where named)."""

from __future__ import annotations

from typing import Callable

Head = tuple[int, int]  # (layer, head)
Hook = tuple[str, Callable]  # (hook name, hook function)
Site = tuple[str, tuple]  # (hook name, index into its activation)
ALL = slice(None)

Z_HOOK = "blocks.{layer}.attn.hook_z"
PATTERN_HOOK = "blocks.{layer}.attn.hook_pattern"
QKV_HOOK = "blocks.{layer}.attn.hook_{kind}"  # kind: "q", "k" or "v"
MLP_OUT_HOOK = "blocks.{layer}.hook_mlp_out"
NEURON_HOOK = "blocks.{layer}.mlp.hook_post"
# an encoder-decoder bridge (T5): the input of an encoder MLP's output projection, its neurons
ENCODER_NEURON_HOOK = "encoder_blocks.{layer}.mlp.out.hook_in"
MLP_NORM_IN_HOOK = "blocks.{layer}.mlp.ln.hook_in"  # SoLU's activations before the MLP's own LayerNorm
RESID_HOOK = "blocks.{layer}.hook_resid_{where}"  # where: "pre", "mid" or "post"
LAYER_OUT_HOOK = "blocks.{layer}.hook_{component}_out"  # component: "mlp" or "attn"
EMBED_HOOK = RESID_HOOK.format(layer=0, where="pre")
SCALE_HOOK = "ln_final.hook_scale"
UNEMBED_IN_HOOK = "unembed.hook_in"  # the final residual, normalised: [batch, pos, d_model]
NORM_OUT_HOOK = "blocks.{layer}.{norm}.hook_out"  # norm: "ln1" (attention input) or "ln2" (MLP input)
