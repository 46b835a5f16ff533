"""Neuron statistics over a token stream (section 1 of the open problems: neurons in small
language models). Activations are the MLP's post-activation ``mlp.hook_post``; statistics take
them flattened over (batch, pos) as ``[n_tokens, d_mlp]``.

- ``neuron_activations``: the activations of several layers from one forward pass.
- ``auroc_per_neuron`` / ``auroc_matrix`` / ``selected_auroc``: how well each neuron's activation separates tokens
  with a property (a regex match) from the rest: AUROC (Mann-Whitney), the neuron chosen on one
  split and scored on the other.
- ``token_variance_share``: the share of a neuron's activation variance explained by the current
  token's identity (eta squared, over tokens seen at least ``min_count`` times).
- ``top_class_purity``: the share of a neuron's top-``k`` activations that fall in its most
  common token class (1: all its strongest activations are one kind of token).
- ``column_alignment``: |cosine| of a direction with each neuron's input weights.
"""

from __future__ import annotations

import torch
from scipy.stats import rankdata

from harness.interp.ablation import cache_activations
from harness.interp.hooks import NEURON_HOOK


def neuron_activations(model, tokens: torch.Tensor, layers: list[int],
                       extra_hooks: list[str] = ()) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """([len(layers), batch, pos, d_mlp], {hook: activation}) float32 on the CPU: ``mlp.hook_post``
    of ``layers`` and the ``extra_hooks`` (from those layers or earlier) for ``tokens``
    [batch, pos], one forward pass that stops after the last of ``layers``."""
    names = [NEURON_HOOK.format(layer=layer) for layer in layers]
    stop = max(layers) + 1
    cache = cache_activations(model, tokens, [*names, *extra_hooks],
                              stop_at_layer=stop if stop < model.cfg.n_layers else None)
    return (torch.stack([cache[name].float().cpu() for name in names]),
            {name: cache[name].float().cpu() for name in extra_hooks})


def auroc_per_neuron(acts: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[d_mlp]: AUROC of each neuron's activation as a score for ``labels`` (acts [n, d_mlp],
    labels [n] bool, both classes present); ties count a half (Mann-Whitney U)."""
    return auroc_matrix(acts, labels[:, None])[0]


def auroc_matrix(acts: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[k, d_mlp]: AUROC of each neuron's activation (acts [n, d_mlp]) as a score for each of
    ``k`` binary labels ([n, k] bool, both classes present in each), from one ranking."""
    ranks = torch.from_numpy(rankdata(acts.double().numpy(), axis=0))
    n_pos = labels.sum(0).double()[:, None]
    n_neg = len(labels) - n_pos
    return ((labels.double().T @ ranks - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)).float()


def selected_auroc(acts: torch.Tensor, labels: torch.Tensor, select: torch.Tensor) -> tuple[int, float, float]:
    """(neuron, AUROC where ``select``, AUROC elsewhere): the neuron with the highest AUROC on the
    selection tokens (``select`` [n] bool), scored on the held-out rest (acts [n, d_mlp])."""
    chosen = auroc_per_neuron(acts[select], labels[select])
    neuron = int(chosen.argmax())
    held_out = auroc_per_neuron(acts[~select][:, neuron : neuron + 1], labels[~select])
    return neuron, float(chosen[neuron]), float(held_out[0])


def token_variance_share(acts: torch.Tensor, token_ids: torch.Tensor, min_count: int = 5) -> torch.Tensor:
    """[d_mlp]: between-token variance / total variance of each neuron (eta squared), over the
    tokens (acts [n, d_mlp], token_ids [n]) whose id occurs at least ``min_count`` times."""
    ids, inverse, counts = token_ids.unique(return_inverse=True, return_counts=True)
    keep = counts[inverse] >= min_count
    acts, groups = acts[keep].double(), inverse[keep]
    centred = acts - acts.mean(0)
    sums = torch.zeros(len(ids), acts.shape[1], dtype=torch.float64).index_add_(0, groups, centred)
    between = (sums.pow(2) / counts[:, None].clamp(min=1)).sum(0)
    return (between / centred.pow(2).sum(0).clamp(min=1e-12)).float()


def top_class_purity(acts: torch.Tensor, classes: torch.Tensor, k: int = 20) -> torch.Tensor:
    """[d_mlp]: for each neuron, the share of its ``k`` largest activations (acts [n, d_mlp])
    whose token class (classes [n] int) is the most common class among them."""
    top = classes[acts.topk(k, dim=0).indices]  # [k, d_mlp]
    n_classes = int(classes.max()) + 1
    counts = torch.zeros(n_classes, acts.shape[1]).scatter_add_(0, top, torch.ones_like(top, dtype=torch.float))
    return counts.max(0).values / k


def column_alignment(weights: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """[d_mlp]: |cosine| of ``direction`` [d_model] with each input column of ``weights``
    [d_model, d_mlp]."""
    columns = weights.float() / weights.float().norm(dim=0).clamp(min=1e-12)
    return (direction.float() / direction.float().norm()).matmul(columns).abs()
