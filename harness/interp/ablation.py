"""Ablations as forward-hook lists, composable by concatenation, and a context manager:

    hooks = zero_ablation(head_sites([(0, 1)])) + mean_ablation(model, reference, mlp_sites([1]))
    logits = run_with_hooks(model, tokens, hooks)
    with ablated(model, hooks):
        logits = model(tokens)

A *site* is ``(hook name, index)``: the index selects, in that hook's activation, the part that
is replaced. Sites:

- heads: ``blocks.L.attn.hook_z`` [batch, pos, head, d_head] (a head's output before W_O)
- MLP layers: ``blocks.L.hook_mlp_out`` [batch, pos, d_model]
- neurons: ``blocks.L.mlp.hook_post`` [batch, pos, d_mlp]
- residual positions: ``blocks.L.hook_resid_{pre,mid,post}`` [batch, pos, d_model]

Replacement values (zero, the per-position mean over a reference batch, or a corrupted batch's
own values for resampling) are cached with ``names_filter``: only the hooks the sites name.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

import torch

from harness.interp.activation_cache import clean_logits, clean_run
from harness.interp.hooks import ALL, MLP_OUT_HOOK, NEURON_HOOK, RESID_HOOK, Z_HOOK, Head, Hook, Site



def heads_by_layer(heads: Iterable[Head]) -> dict[int, list[int]]:
    layers: dict[int, list[int]] = defaultdict(list)
    for layer, head in heads:
        layers[int(layer)].append(int(head))
    return dict(layers)


def head_sites(heads: Iterable[Head]) -> list[Site]:
    """One site per layer covering the given (layer, head) pairs (all positions)."""
    return [(Z_HOOK.format(layer=layer), (ALL, ALL, idx)) for layer, idx in heads_by_layer(heads).items()]


def each_head_sites(n_layers: int, n_heads: int) -> list[Site]:
    """One site per head (all positions), layer by layer: ``n_layers * n_heads`` sites."""
    return [(Z_HOOK.format(layer=layer), (ALL, ALL, head)) for layer in range(n_layers) for head in range(n_heads)]


def mlp_sites(layers: Iterable[int]) -> list[Site]:
    """Whole MLP outputs of ``layers`` (all positions)."""
    return [(MLP_OUT_HOOK.format(layer=int(layer)), (...,)) for layer in layers]


def neuron_sites(neurons: Iterable[tuple[int, int]]) -> list[Site]:
    """(layer, neuron) pairs, grouped by layer, on the post-activation ``mlp.hook_post``."""
    return [(NEURON_HOOK.format(layer=layer), (..., idx)) for layer, idx in heads_by_layer(neurons).items()]


def resid_sites(layer: int, positions: Iterable[int], where: str = "pre") -> list[Site]:
    """Residual stream of block ``layer`` (``where`` in pre / mid / post) at ``positions``."""
    return [(RESID_HOOK.format(layer=int(layer), where=where), (ALL, [int(p) for p in positions]))]


def cache_activations(model, tokens: torch.Tensor, names: Iterable[str], stop_at_layer: int | None = None) -> dict[str, torch.Tensor]:
    """{name: activation} of the clean forward pass (no gradient), caching only ``names``; the pass
    stops before block ``stop_at_layer`` if given (names must come from earlier blocks). Served
    by ``activation_cache.clean_run``: one pass per (model, tokens), shared tensors."""
    names = set(names)
    activations = clean_run(model, tokens, names, stop_at_layer).activations
    return {name: activations[name] for name in names}


def replace_hook(index: tuple, replacement: torch.Tensor | None) -> Callable:
    """Hook setting ``act[index]`` to ``replacement[index]`` (``replacement`` broadcastable to the
    activation, e.g. [1, pos, ...] for a mean or [batch, pos, ...] for a resample), or to zero."""

    def hook(act: torch.Tensor, hook=None) -> torch.Tensor:
        act = act.clone()
        act[index] = 0.0 if replacement is None else replacement.to(act.dtype).expand_as(act)[index]
        return act

    return hook


def patch_hooks(sites: Iterable[Site], values: dict[str, torch.Tensor]) -> list[Hook]:
    """Hooks writing ``values[name][index]`` into each site ``(name, index)``."""
    return [(name, replace_hook(index, values[name])) for name, index in sites]


def zero_ablation(sites: Iterable[Site]) -> list[Hook]:
    return [(name, replace_hook(index, None)) for name, index in sites]


def mean_activations(model, reference_tokens: torch.Tensor, names: Iterable[str]) -> dict[str, torch.Tensor]:
    """Per-position means over a reference batch: {name: [1, pos, ...]}."""
    return {name: act.mean(0, keepdim=True) for name, act in cache_activations(model, reference_tokens, names).items()}


def group_mean_activations(model, reference_tokens: torch.Tensor, names: Iterable[str],
                           groups: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-position means within groups of a reference batch: {name: [batch, pos, ...]}, row i
    the mean over the reference rows whose group id equals ``groups[i]`` ([batch] ints, e.g.
    each prompt's template)."""
    ids, inverse = groups.unique(return_inverse=True)
    counts = torch.bincount(inverse, minlength=len(ids))
    means = {}
    for name, act in cache_activations(model, reference_tokens, names).items():
        sums = torch.zeros((len(ids), *act.shape[1:]), dtype=act.dtype, device=act.device).index_add_(0, inverse.to(act.device), act)
        means[name] = (sums / counts.to(act).view(-1, *[1] * (act.dim() - 1)))[inverse.to(act.device)]
    return means


def mean_ablation(model, reference_tokens: torch.Tensor, sites: Iterable[Site]) -> list[Hook]:
    """Replace each site by its per-position mean over ``reference_tokens`` ([batch, seq], the
    same seq as the ablated run)."""
    sites = list(sites)
    return patch_hooks(sites, mean_activations(model, reference_tokens, {name for name, _ in sites}))


def resample_ablation(model, source_tokens: torch.Tensor, sites: Iterable[Site]) -> list[Hook]:
    """Replace each site by its value on ``source_tokens`` (a corrupted batch, same shape as the
    ablated run's tokens, example i feeding example i)."""
    sites = list(sites)
    return patch_hooks(sites, cache_activations(model, source_tokens, {name for name, _ in sites}))


def zero_ablate_heads(heads: Iterable[Head]) -> list[Hook]:
    return zero_ablation(head_sites(heads))


def mean_ablate_heads(model, reference_tokens: torch.Tensor, heads: Iterable[Head]) -> list[Hook]:
    return mean_ablation(model, reference_tokens, head_sites(heads))


def resample_ablate_heads(model, source_tokens: torch.Tensor, heads: Iterable[Head]) -> list[Hook]:
    return resample_ablation(model, source_tokens, head_sites(heads))


@contextmanager
def ablated(model, hooks: list[Hook]) -> Iterator:
    """Context in which every forward pass of ``model`` runs with ``hooks`` (removed on exit)."""
    with model.hooks(fwd_hooks=list(hooks)):
        yield model


def run_with_hooks(model, tokens: torch.Tensor, hooks: list[Hook]) -> torch.Tensor:
    """Logits [batch, seq, d_vocab] of a run with ``hooks`` (no gradient; without hooks, the
    clean pass: ``clean_logits``)."""
    if not hooks:
        return clean_logits(model, tokens)
    with torch.inference_mode():
        return model.run_with_hooks(tokens, fwd_hooks=list(hooks))
