"""The residual stream as shared memory (Elhage et al. 2021, "A Mathematical Framework for
Transformer Circuits", section "Residual stream as a communication channel": components may
"delete" information by writing its negative; open problems 2.31 - 2.33).

- ``eraser_neurons``: MLP neurons whose output weight points against the direction they read
  (strongly negative cosine), so that firing removes that direction from the stream.
- ``component_outputs`` and ``erasure_cosines``: what each component (embeddings, each head,
  each MLP) writes at each position, and the mean cosine between a component's output and an
  earlier component's output at the same position (negative: it writes against it).
- ``presence``: how much of a component's output is still in the residual stream at each later
  layer, as the coefficient of its projection.
"""

from __future__ import annotations

import torch

from harness.interp.ablation import cache_activations
from harness.interp.dla import norm_parameters
from harness.interp.hooks import EMBED_HOOK, MLP_OUT_HOOK, RESID_HOOK, Z_HOOK, Head
from harness.interp.stacked_weights import stacked


def neuron_read_write_cosines(model) -> torch.Tensor:
    """[n_layers, d_mlp]: cosine between each neuron's read direction and its output weight
    ``W_out[layer, n]``. The read direction is ``W_in[layer, :, n]`` scaled by the MLP's input
    norm weight (``ln2``) where the model has one, so that it lives in the residual stream's
    coordinates; in a gated MLP ``W_in`` is the linear ("up") factor, whose sign the output
    follows (the gate only scales it)."""
    with torch.inference_mode():
        read = model.W_in.transpose(1, 2)  # [n_layers, d_mlp, d_model]
        weights = [norm_parameters(block.ln2)[0] for block in model.blocks]
        if weights[0] is not None:
            read = read * torch.stack(weights)[:, None, :]
        return torch.nn.functional.cosine_similarity(read, model.W_out, dim=-1).cpu()


def random_cosines(d_model: int, n: int, seed: int) -> torch.Tensor:
    """[n]: cosines of ``n`` pairs of independent Gaussian vectors in ``d_model`` dimensions (the
    baseline for weight cosines; standard deviation about ``d_model ** -0.5``)."""
    gen = torch.Generator().manual_seed(seed)
    a, b = torch.randn(2, n, d_model, generator=gen)
    return torch.nn.functional.cosine_similarity(a, b, dim=-1)


def component_outputs(model, tokens: torch.Tensor) -> tuple[torch.Tensor, list[str], list[int]]:
    """What each component writes into the residual stream, on ``tokens`` [batch, pos]:
    ([batch * pos, n_components, d_model] outputs, names, layers). Components in order: the
    embeddings ("embed", layer -1), then per layer each head ("L<l>H<h>", ``z W_O``) and the MLP
    ("MLP<l>", none in attention-only models); a head's layer is its block's, an MLP's its block's
    + 0.5 (it reads the heads of its block). One clean pass (shared through the activation memo)."""
    n_layers, attn_only = model.cfg.n_layers, model.cfg.attn_only
    names = {EMBED_HOOK} | {Z_HOOK.format(layer=l) for l in range(n_layers)}
    names |= set() if attn_only else {MLP_OUT_HOOK.format(layer=l) for l in range(n_layers)}
    cache = cache_activations(model, tokens.to(model.W_U.device), names)
    parts, labels, layers = [cache[EMBED_HOOK][:, :, None]], ["embed"], [-1.0]
    w_o = stacked(model, "W_O")  # each model.W_O restacks every layer
    with torch.inference_mode():
        for layer in range(n_layers):
            parts.append(torch.einsum("bphd,hdm->bphm", cache[Z_HOOK.format(layer=layer)], w_o[layer]))
            labels += [f"L{layer}H{h}" for h in range(model.cfg.n_heads)]
            layers += [float(layer)] * model.cfg.n_heads
            if not attn_only:
                parts.append(cache[MLP_OUT_HOOK.format(layer=layer)][:, :, None])
                labels.append(f"MLP{layer}")
                layers.append(layer + 0.5)
        outputs = torch.cat(parts, 2).flatten(0, 1).float().cpu()
    return outputs, labels, layers


def erasure_cosines(outputs: torch.Tensor, layers: list[float], shift: int = 0) -> torch.Tensor:
    """[n_components, n_components]: entry (later, earlier) is the mean over positions of the
    cosine between the ``later`` component's output and the ``earlier`` one's (outputs:
    [positions, n_components, d_model], layers as from ``component_outputs``); NaN where
    ``earlier`` is not strictly earlier. ``shift`` > 0 takes the earlier component's output
    ``shift`` positions away (rolled): the baseline where the two outputs are not about the same
    token."""
    unit = torch.nn.functional.normalize(outputs, dim=-1)
    cosines = torch.einsum("pcd,ped->ce", unit, unit.roll(shift, 0)) / outputs.shape[0]
    order = torch.tensor(layers)
    return cosines.masked_fill(~(order[None, :] < order[:, None]), float("nan"))


def presence(model, tokens: torch.Tensor, head: Head) -> torch.Tensor:
    """[n_layers - layer]: how much of ``head``'s output is in the residual stream after each
    block from the head's own block to the last (``resid_post``): the coefficient of the
    stream's projection on the head's output ``o``, pooled over the batch and the positions after
    the first, ``sum resid . o / sum |o|^2`` (a mean of per-position ratios would be dominated by
    the positions where ``o`` is small). 1 right after the head wrote (plus whatever else lies
    along ``o``); it falls where later components write against ``o``."""
    layer, index = head
    names = [Z_HOOK.format(layer=layer)] + [RESID_HOOK.format(layer=l, where="post") for l in range(layer, model.cfg.n_layers)]
    cache = cache_activations(model, tokens.to(model.W_U.device), names)
    with torch.inference_mode():
        out = (cache[names[0]][:, 1:, index] @ stacked(model, "W_O")[layer, index]).float()  # [batch, pos - 1, d_model]
        return torch.stack([(cache[name][:, 1:].float() * out).sum() for name in names[1:]]).cpu() / float(out.pow(2).sum())
