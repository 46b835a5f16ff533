"""The logit lens (nostalgebraist 2020, "interpreting GPT: the logit lens"): each block's
residual stream read through the final norm and the unembedding, as if the model stopped there.
The last block's reading is the model's own prediction."""

from __future__ import annotations

import torch

from harness.interp.ablation import cache_activations
from harness.interp.dla import stacked_bias
from harness.interp.hooks import RESID_HOOK


def logit_lens_predictions(model, tokens: torch.Tensor, candidates: torch.Tensor | None = None,
                           positions: torch.Tensor | None = None) -> torch.Tensor:
    """[n_layers, batch, pos] token ids: the argmax of each block's ``resid_post`` read through
    ``ln_final`` and the unembedding, over the whole vocabulary or over ``candidates`` ([n]
    token ids, e.g. the digits). tokens: [batch, pos]; ``positions`` ([batch, k] per row) reads
    only those positions (-> [n_layers, batch, k]). One forward pass; the vocabulary logits are
    formed one layer at a time."""
    names = [RESID_HOOK.format(layer=layer, where="post") for layer in range(model.cfg.n_layers)]
    cache = cache_activations(model, tokens.to(model.W_U.device), names)
    ids = torch.arange(model.W_U.shape[1]) if candidates is None else candidates.cpu()
    w_u, b_u = model.W_U[:, ids.to(model.W_U.device)], stacked_bias(model, "b_U")
    b_u = 0.0 if b_u is None else b_u[ids.to(b_u.device)]
    rows = torch.arange(tokens.shape[0])[:, None]
    with torch.inference_mode():
        resids = [cache[name] if positions is None else cache[name][rows, positions] for name in names]
        best = [ids[(model.ln_final(resid) @ w_u + b_u).argmax(-1).cpu()] for resid in resids]
    return torch.stack(best)


def first_decodable_layer(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """predictions: [n_layers, ...] token ids (``logit_lens_predictions``); targets: [...] ->
    [...] the first layer from which the prediction is the target at every later layer
    (n_layers where even the last layer misses it)."""
    hit = predictions == targets
    # layers l such that every layer >= l hits: a reversed cumulative "all"
    stays = hit.flip(0).cumprod(0).flip(0).bool()
    return predictions.shape[0] - stays.sum(0)
