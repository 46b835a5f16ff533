"""Attribution patching (Nanda 2023, "Attribution patching: activation patching at industrial
scale"): the first-order estimate of an activation patch,

    metric(patched) - metric(corrupted) ~= (a_clean - a_corrupted) . d metric / d a |corrupted,

from one clean forward pass (cached activations) and one corrupted forward + backward pass,
instead of one forward pass per patched site. ``metric`` maps logits [batch, seq, d_vocab] to
a 0-d tensor, as in ``harness.interp.patching``; results are estimated *changes* of the metric.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from harness.interp.ablation import cache_activations, run_with_hooks
from harness.interp.hooks import LAYER_OUT_HOOK, RESID_HOOK, Z_HOOK
from harness.interp.metrics import Metric, metric_hooks

#: logit elements (prompts x positions x vocabulary) one backward pass may hold: 8M floats, 32 MB a
#: copy. SmolLM2 on the 100 IOI prompts (49k vocabulary, 16 positions), all positions unembedded:
#: peak RSS 4.6 GB in one pass, 2.9 GB in chunks of 10 prompts, with the model's own 1.2 GB
#: (tests/bench/test_bench_suite.py); its IOI metric reads the last position only (logits 4.9M).
MAX_LOGIT_ELEMENTS = 1 << 23
#: residual-stream elements (prompts x positions x layers x d_model) one backward pass may keep: the
#: activations autograd saves grow with them, also when the logits are few (a last-position
#: metric). 4M: SmolLM2's 100 IOI prompts (16 positions, 30 layers, d_model 576) in chunks of 15.
MAX_RESIDUAL_ELEMENTS = 1 << 22


def capture_hooks(names: list[str], acts: dict[str, torch.Tensor], deltas: dict[str, torch.Tensor]) -> list:
    """Hooks keeping each activation in ``acts`` and adding a zero tensor requiring grad (in
    ``deltas``) to it, so that its gradient exists whether or not the parameters require grad."""

    def capture(name: str) -> Callable:
        def hook(act: torch.Tensor, hook=None) -> torch.Tensor:
            acts[name] = act.detach()
            deltas[name] = torch.zeros_like(act, requires_grad=True)
            return act + deltas[name]

        return hook

    return [(name, capture(name)) for name in names]


def activations_and_gradients(
    model, tokens: torch.Tensor, names: Iterable[str], metric: Metric, max_logit_elements: int | None = None,
    max_residual_elements: int | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """({name: activation}, {name: d metric / d activation}) on ``tokens`` [batch, seq], for ``names`` only.

    One forward + backward pass when the logits [batch, seq, d_vocab] hold at most
    ``max_logit_elements`` (default ``MAX_LOGIT_ELEMENTS``; [batch, 1, d_vocab] for a metric of the
    last position, ``metrics.metric_hooks``) and the residual stream [batch, seq, n_layers, d_model]
    at most ``max_residual_elements`` (``MAX_RESIDUAL_ELEMENTS``). Beyond, the backward pass is chunked
    over prompts to bound memory: the clean logits (``harness.interp.activation_cache``: often
    read already) give d metric / d logits (``metric`` may mix prompts), then each chunk of
    prompts runs forward and backward from its rows of that gradient (the chain rule; a prompt's
    logits depend on its own tokens only). The same gradients up to float rounding, for at most
    one more forward pass."""
    names, cfg = list(names), model.cfg
    max_logit_elements, max_residual_elements = max_logit_elements or MAX_LOGIT_ELEMENTS, max_residual_elements or MAX_RESIDUAL_ELEMENTS
    unembed_hooks = metric_hooks(model, metric)  # a last-position metric: logits [batch, 1, d_vocab]
    rows = max(1, min(max_logit_elements // ((1 if unembed_hooks else tokens.shape[1]) * cfg.d_vocab),
                      max_residual_elements // (tokens.shape[1] * cfg.n_layers * cfg.d_model)))
    if tokens.shape[0] <= rows:
        acts: dict[str, torch.Tensor] = {}
        deltas: dict[str, torch.Tensor] = {}
        with torch.enable_grad():
            logits = model.run_with_hooks(tokens, fwd_hooks=capture_hooks(names, acts, deltas) + unembed_hooks)
            grads = torch.autograd.grad(metric(logits), [deltas[name] for name in names], allow_unused=True)
        return acts, {name: torch.zeros_like(acts[name]) if g is None else g for name, g in zip(names, grads)}
    logits = run_with_hooks(model, tokens, unembed_hooks).detach().clone()  # without hooks: the memoised clean logits
    with torch.enable_grad():
        (logit_grads,) = torch.autograd.grad(metric(logits.requires_grad_()), logits)
    del logits

    def chunk_metric(start: int) -> Metric:
        def metric_of_chunk(out: torch.Tensor) -> torch.Tensor:
            return (out * logit_grads[start : start + rows]).sum()

        metric_of_chunk.last_position_only = bool(unembed_hooks)
        return metric_of_chunk

    chunks = [activations_and_gradients(model, tokens[start : start + rows], names, chunk_metric(start), max_logit_elements,
                                        max_residual_elements)
              for start in range(0, tokens.shape[0], rows)]
    return tuple({name: torch.cat([part[name] for part in parts]) for name in names} for parts in zip(*chunks))


def attribution_scores(
    model, clean_tokens: torch.Tensor, corrupted_tokens: torch.Tensor, names: list[str], metric: Metric
) -> dict[str, torch.Tensor]:
    """{name: (clean - corrupted) * grad}, elementwise, same shape as the activation."""
    clean = cache_activations(model, clean_tokens, names)
    corrupted, grads = activations_and_gradients(model, corrupted_tokens, names, metric)
    return {name: (clean[name] - corrupted[name]) * grads[name] for name in names}


def attribute_heads(model, clean_tokens, corrupted_tokens, metric: Metric) -> torch.Tensor:
    """[n_layers, n_heads]: estimated effect of patching each head's output (hook_z, every
    position); compare ``harness.interp.patching.patch_head_outputs`` minus the corrupted metric."""
    names = [Z_HOOK.format(layer=layer) for layer in range(model.cfg.n_layers)]
    scores = attribution_scores(model, clean_tokens, corrupted_tokens, names, metric)
    return torch.stack([scores[name].sum((0, 1, 3)) for name in names]).cpu()


def attribute_residual(model, clean_tokens, corrupted_tokens, metric: Metric, where: str = "pre") -> torch.Tensor:
    """[n_layers, pos]: estimated effect of patching ``hook_resid_{where}`` at each position."""
    names = [RESID_HOOK.format(layer=layer, where=where) for layer in range(model.cfg.n_layers)]
    scores = attribution_scores(model, clean_tokens, corrupted_tokens, names, metric)
    return torch.stack([scores[name].sum((0, 2)) for name in names]).cpu()


def attribute_layer_outputs(model, clean_tokens, corrupted_tokens, metric: Metric, component: str = "mlp") -> torch.Tensor:
    """[n_layers]: estimated effect of patching each layer's ``component`` ("mlp" / "attn") output."""
    names = [LAYER_OUT_HOOK.format(layer=layer, component=component) for layer in range(model.cfg.n_layers)]
    scores = attribution_scores(model, clean_tokens, corrupted_tokens, names, metric)
    return torch.stack([scores[name].sum() for name in names]).cpu()
