"""Neuron statistics over a token stream (section 1 of the open problems: neurons in small
language models). Activations are the MLP's post-activation ``mlp.hook_post``; statistics take
them flattened over (batch, pos) as ``[n_tokens, d_mlp]``.

- ``neuron_activations``: the activations of several layers from one forward pass.
- ``auroc_per_neuron`` / ``selected_auroc``: how well each neuron's activation separates tokens
  with a property (a regex match) from the rest: AUROC (Mann-Whitney), the neuron chosen on one
  split and scored on the other.
- ``token_variance_share``: the share of a neuron's activation variance explained by the current
  token's identity (eta squared, over tokens seen at least ``min_count`` times).
- ``top_class_purity``: the share of a neuron's top-``k`` activations that fall in its most
  common token class (1: all its strongest activations are one kind of token).
- ``column_alignment``: |cosine| of a direction with each neuron's input weights.
- ``max_activating_contexts`` / ``top_token_share``: a small Neuroscope, each neuron's ``k``
  strongest activations over a token stream and the tokens leading up to each; how often its
  most common activating token recurs among them; ``top_k_overlap``: how many of a neuron's
  strongest inputs stay its strongest in another model (before / after fine-tuning).
- ``direct_paths``: a neuron read off the weights alone: how much each token's embedding drives
  its input (the embedding's projection on its input weights) and its direct effect on each
  logit (its output weights through the unembedding).
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
    ranks = torch.from_numpy(rankdata(acts.double().numpy(), axis=0))
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    return ((ranks[labels].sum(0) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)).float()


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


def max_activating_contexts(acts: torch.Tensor, tokens: torch.Tensor, k: int = 20,
                            width: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """(values [d_mlp, k], contexts [d_mlp, k, width]): each neuron's ``k`` largest activations
    over a token stream (acts [batch, pos, d_mlp], tokens [batch, pos]), largest first, and the
    ``width`` tokens ending at each (the activating token last; -1 before its row's start)."""
    pos, d_mlp = acts.shape[1], acts.shape[2]
    values, flat = acts.reshape(-1, d_mlp).topk(k, dim=0)  # [k, d_mlp]
    row, col = (flat // pos)[..., None], (flat % pos)[..., None] + torch.arange(1 - width, 1)
    contexts = torch.where(col >= 0, tokens[row, col.clamp(min=0)], -1)  # [k, d_mlp, width]
    return values.T, contexts.transpose(0, 1)


def neuroscope_token_share(model, tokens: torch.Tensor, layer: int = 0, k: int = 20) -> torch.Tensor:
    """[d_mlp]: ``top_token_share`` of each of ``layer``'s neurons over ``tokens`` [batch, pos]
    (their first position, BOS, left out)."""
    acts, _ = neuron_activations(model, tokens, [layer])
    return top_token_share(max_activating_contexts(acts[0][:, 1:], tokens[:, 1:], k=k)[1])


def top_token_share(contexts: torch.Tensor) -> torch.Tensor:
    """[d_mlp]: the share of each neuron's contexts (``max_activating_contexts``' [d_mlp, k,
    width]) whose activating token is the neuron's most common one."""
    current = contexts[..., -1]
    return (current == current.mode(dim=1).values[:, None]).float().mean(1)


def direct_paths(model, layer: int, neuron: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input [d_vocab], output [d_vocab]) float32 on the CPU: each token's embedding projected on
    the neuron's input weights (``W_gate`` for a gated MLP: the gate decides whether it fires),
    and the neuron's direct logit effect per unit of activation, ``W_out[neuron] @ W_U`` centred
    over the vocabulary (the final norm's scale left out)."""
    weights = model.W_gate if getattr(model.cfg, "gated_mlp", False) else model.W_in
    with torch.inference_mode():
        embedding_input = model.W_E.float() @ weights[layer][:, neuron].float()
        logit_effect = model.W_out[layer][neuron].float() @ model.W_U.float()
    return embedding_input.cpu(), (logit_effect - logit_effect.mean()).cpu()


def top_k_overlap(before: torch.Tensor, after: torch.Tensor, k: int = 20) -> torch.Tensor:
    """[d_mlp]: the share of each neuron's ``k`` strongest inputs in ``before`` [n, d_mlp] that
    are among its ``k`` strongest in ``after`` [n, d_mlp] (the same n inputs, e.g. one neuron
    before and after fine-tuning)."""
    first, second = before.topk(k, dim=0).indices.T, after.topk(k, dim=0).indices.T  # [d_mlp, k]
    return (first[:, :, None] == second[:, None, :]).any(-1).float().mean(-1)
