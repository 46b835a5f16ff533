"""Direct logit attribution (Elhage et al. 2021; Wang et al. 2022, IOI section 3.1).

The final residual stream at a position is a sum of components: the embeddings (``blocks.0.
hook_resid_pre``), each head's output ``z_h W_O^h``, each layer's attention bias ``b_O``, and
each MLP output (itself ``sum_n post_n W_out[n] + b_out``). The final norm is linear once its
per-position scale is fixed at the value of the run (``ln_final.hook_scale``), so

    logit(answer) [- logit(wrong)] = sum_c  norm_linear(c) . w_norm * d  +  b_norm . d + b_U . d

with d = W_U[:, answer] [- W_U[:, wrong]], norm_linear(c) = (c - mean(c)) / scale for LayerNorm
and c / scale for RMSNorm. The decomposition is exact (up to float error); ``constant`` holds
the last two terms.
"""

from __future__ import annotations

import dataclasses

import torch

from harness.interp.activation_cache import clean_run
from harness.interp.hooks import EMBED_HOOK, MLP_OUT_HOOK, NEURON_HOOK, SCALE_HOOK, Z_HOOK
from harness.interp.stacked_weights import stacked



@dataclasses.dataclass
class LogitAttribution:
    """Per-example contributions to the answer logit (difference); each [..., batch]."""

    embed: torch.Tensor  # [batch]
    heads: torch.Tensor  # [n_layers, n_heads, batch]
    attn_bias: torch.Tensor  # [n_layers, batch]
    mlps: torch.Tensor  # [n_layers, batch] (zeros for attention-only models)
    constant: torch.Tensor  # [batch]: final-norm bias and unembedding bias
    logits: torch.Tensor  # [batch]: the run's own logit (difference), for checking

    def layers(self) -> torch.Tensor:
        """[n_layers, batch]: attention (heads + bias) plus MLP of each layer."""
        return self.heads.sum(1) + self.attn_bias + self.mlps

    def total(self) -> torch.Tensor:
        """[batch]: sum of all contributions; equals ``logits`` up to float error."""
        return self.embed + self.layers().sum(0) + self.constant


def stacked_bias(model, name: str) -> torch.Tensor | None:
    """``model.<name>`` (b_O, b_out, b_U), or None for bias-free models (the bridge raises)."""
    try:
        return stacked(model, name)
    except AttributeError:
        return None


def on_device(model, ids: torch.Tensor | None) -> torch.Tensor | None:
    return None if ids is None else ids.to(model.W_U.device)


def norm_parameters(norm) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """(weight [d_model] or None, bias [d_model] or None) of a norm module (``ln_final``, a
    block's ``ln1`` / ``ln2``), a TransformerLens one or the bridge's wrapped module."""
    module = getattr(norm, "original_component", norm)
    return getattr(module, "weight", getattr(module, "w", None)), getattr(module, "bias", getattr(module, "b", None))


def final_norm(model) -> tuple[torch.Tensor | None, torch.Tensor | None, bool]:
    """(weight [d_model] or None, bias [d_model] or None, centred) of the final norm;
    centred is True for LayerNorm (subtracts the mean), False for RMSNorm and for no norm."""
    module = getattr(model.ln_final, "original_component", model.ln_final)
    weight, bias = norm_parameters(model.ln_final)
    centred = (model.cfg.normalization_type is not None and "rms" not in type(module).__name__.lower()
               and model.cfg.normalization_type not in ("RMS", "RMSPre"))
    return weight, bias, centred


def final_scale(model, cache, pos: int) -> torch.Tensor:
    """[batch, 1]: the final norm's scale at ``pos`` (``ln_final.hook_scale``); 1 for a model
    without a final norm (tracr's compiled models), which has no such hook."""
    if model.cfg.normalization_type is None:
        return torch.ones(cache[EMBED_HOOK].shape[0], 1, device=cache[EMBED_HOOK].device)
    return cache[SCALE_HOOK][:, pos]


def answer_directions(model, answers: torch.Tensor, wrong: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """([batch, d_model] unembedding directions, [batch] unembedding-bias terms) of the
    answer tokens ([batch]) or of the answer - wrong difference."""
    w_u, b_u = stacked(model, "W_U"), stacked_bias(model, "b_U")
    b_u = torch.zeros(w_u.shape[1], device=w_u.device) if b_u is None else b_u
    direction, bias = w_u[:, answers].T, b_u[answers]
    if wrong is not None:
        direction, bias = direction - w_u[:, wrong].T, bias - b_u[wrong]
    return direction, bias


def residual_to_logits(components: torch.Tensor, scale: torch.Tensor, direction: torch.Tensor,
                       weight: torch.Tensor | None, centred: bool) -> torch.Tensor:
    """Linearised final norm + unembedding of residual components.

    components: [..., batch, d_model]; scale: [batch, 1]; direction: [batch, d_model] -> [..., batch]."""
    if centred:
        components = components - components.mean(-1, keepdim=True)
    direction = direction if weight is None else direction * weight
    return (components / scale * direction).sum(-1)


def attribution_hooks(model) -> set[str]:
    """The hook names ``logit_attribution_from_cache`` reads."""
    names = {EMBED_HOOK, SCALE_HOOK} | {Z_HOOK.format(layer=layer) for layer in range(model.cfg.n_layers)}
    if not model.cfg.attn_only:
        names |= {MLP_OUT_HOOK.format(layer=layer) for layer in range(model.cfg.n_layers)}
    return names


def logit_attribution(model, tokens: torch.Tensor, answers: torch.Tensor, wrong: torch.Tensor | None = None,
                      pos: int = -1) -> LogitAttribution:
    """Direct logit attribution at position ``pos`` of ``tokens`` [batch, seq] to ``answers``
    [batch] (or the ``answers`` - ``wrong`` logit difference), per head, attention bias, MLP."""
    run = clean_run(model, tokens, attribution_hooks(model), logits=True)
    return logit_attribution_from_cache(model, run.logits, run.activations, answers, wrong, pos)


def logit_attribution_from_cache(model, logits: torch.Tensor, cache, answers: torch.Tensor, wrong: torch.Tensor | None = None,
                                 pos: int = -1) -> LogitAttribution:
    """``logit_attribution`` from a run's ``logits`` [batch, seq, d_vocab] and its activation
    ``cache`` (holding at least ``attribution_hooks(model)``), so that a run caching more (e.g.
    attention patterns) serves it too."""
    n_layers, attn_only = model.cfg.n_layers, model.cfg.attn_only
    answers, wrong = on_device(model, answers), on_device(model, wrong)
    weight, norm_bias, centred = final_norm(model)
    with torch.inference_mode():
        direction, unembed_bias = answer_directions(model, answers, wrong)
        scale = final_scale(model, cache, pos)

        def project(components: torch.Tensor) -> torch.Tensor:
            return residual_to_logits(components, scale, direction, weight, centred)

        z = torch.stack([cache[Z_HOOK.format(layer=layer)][:, pos] for layer in range(n_layers)])  # [L, b, H, d_head]
        w_o = stacked(model, "W_O")
        head_out = torch.einsum("lbhd,lhdm->lhbm", z, w_o)
        b_o = stacked_bias(model, "b_O")
        b_o = torch.zeros_like(w_o[:, 0, 0]) if b_o is None else b_o  # [n_layers, d_model]
        attn_bias = project(b_o[:, None, :].expand(-1, logits.shape[0], -1))
        mlps = (torch.stack([project(cache[MLP_OUT_HOOK.format(layer=layer)][:, pos]) for layer in range(n_layers)])
                if not attn_only else torch.zeros_like(attn_bias))
        constant = unembed_bias + (0.0 if norm_bias is None else direction @ norm_bias)
        final = logits[:, pos]
        observed = final.gather(-1, answers.to(final.device)[:, None]).squeeze(-1)
        if wrong is not None:
            observed = observed - final.gather(-1, wrong.to(final.device)[:, None]).squeeze(-1)
        return LogitAttribution(
            embed=project(cache[EMBED_HOOK][:, pos]).cpu(), heads=project(head_out).cpu(),
            attn_bias=attn_bias.cpu(), mlps=mlps.cpu(), constant=constant.cpu(), logits=observed.cpu(),
        )


def neuron_attribution(model, tokens: torch.Tensor, layer: int, answers: torch.Tensor,
                       wrong: torch.Tensor | None = None, pos: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """([d_mlp, batch] per-neuron, [batch] output-bias) direct logit attribution of MLP
    ``layer``: neuron n contributes ``post_n W_out[n]`` (``mlp.hook_post`` [batch, pos, d_mlp]);
    they sum with the bias to that layer's ``LogitAttribution.mlps`` entry."""
    names = {NEURON_HOOK.format(layer=layer), SCALE_HOOK, EMBED_HOOK}
    answers, wrong = on_device(model, answers), on_device(model, wrong)
    weight, _, centred = final_norm(model)
    cache = clean_run(model, tokens, names).activations
    with torch.inference_mode():
        direction, _ = answer_directions(model, answers, wrong)
        scale = final_scale(model, cache, pos)
        post = cache[NEURON_HOOK.format(layer=layer)][:, pos]  # [batch, d_mlp]
        w_out = stacked(model, "W_out")[layer]  # [d_mlp, d_model]
        neuron_out = post.T[:, :, None] * w_out[:, None, :]  # [d_mlp, batch, d_model]
        b_out = stacked_bias(model, "b_out")
        b_out = torch.zeros_like(w_out[0]) if b_out is None else b_out[layer]
        bias = residual_to_logits(b_out.expand(tokens.shape[0], -1), scale, direction, weight, centred)
        return residual_to_logits(neuron_out, scale, direction, weight, centred).cpu(), bias.cpu()


def misleading_direct_effects(direct: torch.Tensor, total: torch.Tensor, floor: float,
                              factor: float = 10.0) -> torch.Tensor:
    """[n] bool: components whose direct effect ``direct`` [n] misleads about their total effect
    ``total`` [n] (the same intervention's effect through every path): opposite signs, or sizes
    more than ``factor`` apart. Only components with an effect above ``floor`` either way count:
    below it both are noise."""
    larger, smaller = torch.maximum(direct.abs(), total.abs()), torch.minimum(direct.abs(), total.abs())
    return (larger > floor) & ((direct * total < 0) | (larger > factor * smaller))
