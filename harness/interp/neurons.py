"""Neuron statistics over a token stream (section 1 of the open problems: neurons in small
language models). Activations are the MLP's post-activation ``mlp.hook_post``; statistics take
them flattened over (batch, pos) as ``[n_tokens, d_mlp]``.

- ``neuron_activations``: the activations of several layers from one forward pass;
  ``encoder_neuron_activations`` those of an encoder-decoder model's (T5's) encoder MLPs.
- ``auroc_per_neuron`` / ``auroc_matrix`` / ``selected_auroc``: how well each neuron's activation separates tokens
  with a property (a regex match) from the rest: AUROC (Mann-Whitney), the neuron chosen on one
  split and scored on the other.
- ``token_variance_share``: the share of a neuron's activation variance explained by the current
  token's identity (eta squared, over tokens seen at least ``min_count`` times).
- ``top_class_purity``: the share of a neuron's top-``k`` activations that fall in its most
  common token class (1: all its strongest activations are one kind of token).
- ``column_alignment``: |cosine| of a direction with each neuron's input weights.
- ``effective_classes``: exp(entropy) of the token classes among a neuron's top-``k``
  activations (1: one class; c: c classes equally), a graded ``top_class_purity``.
- ``monosemantic_classes`` / ``live_neurons``: the SoLU paper's "looks monosemantic" rating in
  automatic form (top-``k`` purity at least ``purity``) and the class each such neuron stands for;
  the one superposition measure of the 4.37 and 4.41-4.44 claims.
- ``polysemantic_neurons`` / ``context_separation``: the most mixed strongly-firing neurons,
  and how well a probe on the neuron's input context tells apart the classes of its top tokens.
- ``max_correlation``: each neuron's highest |Pearson correlation| with any neuron of another
  layer or model over the same tokens.
- ``max_activating_contexts`` / ``top_token_share``: a small Neuroscope, each neuron's ``k``
  strongest activations over a token stream and the tokens leading up to each; how often its
  most common activating token recurs among them; ``top_k_overlap``: how many of a neuron's
  strongest inputs stay its strongest in another model (before / after fine-tuning).
- ``direct_paths``: a neuron read off the weights alone: how much each token's embedding drives
  its input (the embedding's projection on its input weights) and its direct effect on each
  logit (its output weights through the unembedding).
- ``neuron_input_contributions``: a neuron's pre-activation on a token stream split exactly into
  what each residual component (embedding, each head, each earlier MLP, biases) writes into it;
  ``gap_shares``: each component's share of the pre-activation's gap between two token groups.
- ``secondary_tokens``: a neuron's strongest tokens outside its main feature (its other features);
  ``context_pair_activations``: the neuron on inputs built from two of them (one after a run of
  the other), and on each alone.
- ``small_neuron_output_share`` / ``mlp_norm_activations``: the share of an MLP's output written by
  neurons that are small before the MLP's own norm (SoLU's LayerNorm: Elhage et al. 2022's
  "smuggled" superposition), and the activations before and after that norm.
"""

from __future__ import annotations

import torch
from scipy.stats import rankdata

from harness.interp.ablation import cache_activations
from harness.interp.dla import final_norm, norm_parameters, stacked_bias
from harness.interp.hooks import EMBED_HOOK, ENCODER_NEURON_HOOK, MLP_NORM_IN_HOOK, MLP_OUT_HOOK, NEURON_HOOK, Z_HOOK, Hook
from harness.interp.probes import cross_validated_accuracy
from harness.interp.stacked_weights import stacked


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


def is_encoder_decoder(model) -> bool:
    """Whether ``model`` is an encoder-decoder bridge (T5), whose neurons are
    ``encoder_neuron_activations``'."""
    return hasattr(model, "encoder_blocks")


def encoder_neuron_activations(model, tokens: torch.Tensor, layers: list[int]) -> torch.Tensor:
    """[len(layers), batch, pos, d_mlp] float32 on the CPU: the neurons of an encoder-decoder
    model's (T5's) encoder MLPs ``layers``, the input of each MLP's output projection (relu(W_in x)
    in T5, gelu(W_gate x) * W_in x in T5 v1.1), for ``tokens`` [batch, pos] fed to the encoder.
    The decoder is fed one token (``tokens[:, :1]``): the encoder does not depend on it."""
    names = [ENCODER_NEURON_HOOK.format(layer=layer) for layer in layers]
    device = model.cfg.device or "cpu"
    with torch.inference_mode():
        _, cache = model.run_with_cache(tokens.to(device), decoder_input=tokens[:, :1].to(device), names_filter=names)
    return torch.stack([cache[name].float().cpu() for name in names])


def auroc_per_neuron(acts: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[d_mlp]: AUROC of each neuron's activation as a score for ``labels`` (acts [n, d_mlp],
    labels [n] bool, both classes present); ties count a half (Mann-Whitney U)."""
    return auroc_matrix(acts, labels[:, None])[0]


def auroc_matrix(acts: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[k, d_mlp]: AUROC of each neuron's activation (acts [n, d_mlp]) as a score for each of
    ``k`` binary labels ([n, k] bool, both classes present in each), from one ranking."""
    ranks = torch.from_numpy(rankdata(acts.double().cpu().numpy(), axis=0))
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


def top_class_counts(acts: torch.Tensor, classes: torch.Tensor, k: int = 20) -> torch.Tensor:
    """[n_classes, d_mlp]: how many of each neuron's ``k`` largest activations (acts [n, d_mlp])
    fall in each token class (classes [n] int)."""
    top = classes[acts.topk(k, dim=0).indices]  # [k, d_mlp]
    n_classes = int(classes.max()) + 1
    return torch.zeros(n_classes, acts.shape[1]).scatter_add_(0, top, torch.ones_like(top, dtype=torch.float))


def top_class_purity(acts: torch.Tensor, classes: torch.Tensor, k: int = 20) -> torch.Tensor:
    """[d_mlp]: for each neuron, the share of its ``k`` largest activations (acts [n, d_mlp])
    whose token class (classes [n] int) is the most common class among them."""
    return top_class_counts(acts, classes, k).max(0).values / k


def effective_classes(acts: torch.Tensor, classes: torch.Tensor, k: int = 20) -> torch.Tensor:
    """[d_mlp]: exp(entropy) of the class distribution of each neuron's ``k`` largest
    activations (acts [n, d_mlp], classes [n] int): 1 when they are all one class, c when they
    spread evenly over c classes."""
    shares = top_class_counts(acts, classes, k) / k
    return torch.exp(-(shares * shares.clamp_min(1e-12).log()).sum(0))


MONOSEMANTIC_PURITY = 0.8  # the SoLU paper's "looks monosemantic" rating made automatic (4.37, our threshold)


def monosemantic_classes(acts: torch.Tensor, classes: torch.Tensor, purity: float = MONOSEMANTIC_PURITY, k: int = 20) -> torch.Tensor:
    """[d_mlp] int: for each neuron (acts [n, d_mlp]) the most common class (classes [n] int) of
    its ``k`` largest activations when at least ``purity`` of them are that class (the neuron
    looks monosemantic), else -1. ``(result >= 0).float().mean()`` is the share of monosemantic
    neurons; the distinct values >= 0 are the classes that have a neuron of their own."""
    counts = top_class_counts(acts, classes, k)
    best, top = counts.max(0)
    return torch.where(best / k >= purity, top, -1)


def live_neurons(acts: torch.Tensor, k: int = 20) -> torch.Tensor:
    """[d_mlp] bool: the neurons (acts [n, d_mlp]) whose ``k``-th largest activation is positive;
    a dead ReLU neuron's top ``k`` are ties at 0, whose classes mean nothing."""
    return acts.topk(k, dim=0).values[-1] > 0


def live_top_class_purity(acts: torch.Tensor, classes: torch.Tensor, k: int = 20) -> torch.Tensor:
    """[live neurons]: ``top_class_purity`` of the ``live_neurons`` only (acts [n, d_mlp], classes
    [n] int); ``(result >= MONOSEMANTIC_PURITY).float().mean()`` is the share of monosemantic
    neurons among them."""
    return top_class_purity(acts, classes, k)[live_neurons(acts, k)]


def polysemantic_neurons(acts: torch.Tensor, classes: torch.Tensor, n: int, k: int = 20) -> torch.Tensor:
    """[n] the neurons (acts [tokens, d_mlp]) with the most ``effective_classes`` among those
    whose mean top-``k`` activation is above the layer's median (a weak neuron's top tokens are
    near-random, hence mixed)."""
    strong = acts.topk(k, dim=0).values.mean(0) > acts.topk(k, dim=0).values.mean(0).median()
    return effective_classes(acts, classes, k).masked_fill(~strong, -1).topk(n).indices


def context_separation(activation: torch.Tensor, context: torch.Tensor, classes: torch.Tensor, share: float = 0.05,
                       folds: int = 5) -> tuple[float, float] | None:
    """(``folds``-fold accuracy of a probe on ``context`` [n, d] telling the neuron's most common
    class among its top ``share`` of tokens from its other classes there, the majority share
    among them): the context's answer to "which of its features fired" (activation [n], classes
    [n] int). None when either side has fewer than ``folds`` tokens (the neuron is not mixed there)."""
    top = activation.topk(max(2 * folds, int(share * len(activation)))).indices
    labels = classes[top] == classes[top].mode().values
    if min(int(labels.sum()), int((~labels).sum())) < folds:
        return None
    return cross_validated_accuracy(context[top], labels, folds), float(max(labels.float().mean(), 1 - labels.float().mean()))


def max_correlation(acts: torch.Tensor, others: torch.Tensor) -> torch.Tensor:
    """[d_a]: for each neuron of ``acts`` [n, d_a], its largest |Pearson correlation| with any
    neuron of ``others`` [n, d_b] over the same n tokens (constant neurons correlate 0)."""
    def standardised(x: torch.Tensor) -> torch.Tensor:
        centred = x.double() - x.double().mean(0)
        return centred / centred.norm(dim=0).clamp_min(1e-12)

    return (standardised(acts).T @ standardised(others)).abs().amax(1).float()


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
    the neuron's input weights (``W_gate`` for a gated MLP: the gate decides whether it fires)
    times the block's ``ln2`` weight, and the neuron's direct logit effect per unit of
    activation, ``W_out[neuron] * w_ln_final @ W_U`` centred over the vocabulary. The norms'
    per-position scales (and a LayerNorm's centring) are left out: weights alone."""
    weights = stacked(model, "W_gate" if getattr(model.cfg, "gated_mlp", False) else "W_in")
    read_norm, _ = norm_parameters(model.blocks[layer].ln2)
    write_norm, _, _ = final_norm(model)
    with torch.inference_mode():
        read = weights[layer][:, neuron].float() * (1.0 if read_norm is None else read_norm.float())
        write = stacked(model, "W_out")[layer][neuron].float() * (1.0 if write_norm is None else write_norm.float())
        embedding_input = stacked(model, "W_E").float() @ read
        logit_effect = write @ stacked(model, "W_U").float()
    return embedding_input.cpu(), (logit_effect - logit_effect.mean()).cpu()


def top_k_overlap(before: torch.Tensor, after: torch.Tensor, k: int = 20) -> torch.Tensor:
    """[d_mlp]: the share of each neuron's ``k`` strongest inputs in ``before`` [n, d_mlp] that
    are among its ``k`` strongest in ``after`` [n, d_mlp] (the same n inputs, e.g. one neuron
    before and after fine-tuning)."""
    first, second = before.topk(k, dim=0).indices.T, after.topk(k, dim=0).indices.T  # [d_mlp, k]
    return (first[:, :, None] == second[:, None, :]).any(-1).float().mean(-1)


def neuron_input_contributions(model, tokens: torch.Tensor, layer: int, neuron: int) -> tuple[torch.Tensor, list[str]]:
    """([n_components, batch, pos] float32 on the CPU, component names): what each residual
    component writes into the neuron's pre-activation (``W_gate`` for a gated MLP, else ``W_in``)
    for ``tokens`` [batch, pos]. The block's ``ln2`` is linear once its per-position scale is
    fixed at the run's (``ln2.hook_scale``; a LayerNorm also centres), so the components
    ("embed", "L{l}H{h}" for each head of layers <= ``layer``, "MLP{l}" for earlier MLPs with
    their output bias, and "bias": the attention biases, the norm's bias and the neuron's input
    bias) sum to the pre-activation exactly."""
    gated = getattr(model.cfg, "gated_mlp", False)
    centred = model.cfg.normalization_type in ("LN", "LNPre")
    scale_hook = f"blocks.{layer}.ln2.hook_scale"
    names = [EMBED_HOOK, scale_hook, *(Z_HOOK.format(layer=l) for l in range(layer + 1)),
             *(MLP_OUT_HOOK.format(layer=l) for l in range(layer))]
    cache = cache_activations(model, tokens, names, stop_at_layer=layer + 1 if layer + 1 < model.cfg.n_layers else None)
    norm_weight, norm_bias = norm_parameters(model.blocks[layer].ln2)
    with torch.inference_mode():
        column = stacked(model, "W_gate" if gated else "W_in")[layer][:, neuron]
        read = column if norm_weight is None else column * norm_weight
        w_o, b_o = stacked(model, "W_O"), stacked_bias(model, "b_O")
        parts, labels = [cache[EMBED_HOOK]], ["embed"]
        for l in range(layer + 1):
            parts += list(torch.einsum("bphd,hdm->hbpm", cache[Z_HOOK.format(layer=l)], w_o[l]))
            labels += [f"L{l}H{h}" for h in range(model.cfg.n_heads)]
        for l in range(layer):
            parts.append(cache[MLP_OUT_HOOK.format(layer=l)])
            labels.append(f"MLP{l}")
        bias = (torch.zeros_like(read) if b_o is None else b_o[: layer + 1].sum(0)).expand_as(parts[0])
        components = torch.stack([*parts, bias])
        if centred:
            components = components - components.mean(-1, keepdim=True)
        out = components / cache[scale_hook] @ read.to(components.dtype)
        constant = 0.0 if norm_bias is None else float(norm_bias @ column)
        b_in = stacked_bias(model, "b_gate" if gated else "b_in")
        out[-1] += constant + (0.0 if b_in is None else float(b_in[layer][neuron]))
    return out.float().cpu(), [*labels, "bias"]


def gap_shares(contributions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[n_components]: each component's share of the gap in their sum between the ``labels``
    tokens and the others (contributions [n_components, n], labels [n] bool): mean over
    positives minus mean over negatives, over the same for the sum (shares sum to 1)."""
    gaps = contributions[:, labels].mean(1) - contributions[:, ~labels].mean(1)
    return gaps / gaps.sum()


def secondary_tokens(activation: torch.Tensor, token_ids: torch.Tensor, main: torch.Tensor, n: int = 3,
                     k: int = 20) -> torch.Tensor:
    """[<= n] token ids: the distinct current tokens among a neuron's ``k`` strongest activations
    (activation [n_tokens]) outside its main feature (``main`` [n_tokens] bool), strongest first."""
    top = activation.masked_fill(main, float("-inf")).topk(k).indices
    return torch.tensor(list(dict.fromkeys(token_ids[top].tolist()))[:n])


def context_pair_activations(model, layer: int, neuron: int, tokens: torch.Tensor, bos: int,
                             context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(alone [k], combined [k, k]) float32 on the CPU: the neuron's activation (``mlp.hook_post``)
    at the last position of BOS then token a (``alone[a]``) and of BOS, ``context`` copies of
    token b, then a (``combined[a, b]``; its diagonal repeats one token), for the k ``tokens`` [k]
    (token ids): two features, the current token and the context, put together."""
    k = len(tokens)
    last, run = tokens.repeat_interleave(k), tokens.repeat(k)  # row a * k + b: b's run, then a
    combined = torch.cat([torch.full((k * k, 1), bos), run[:, None].expand(-1, context), last[:, None]], dim=1)
    alone = torch.stack([torch.full((k,), bos), tokens], dim=1)
    fire = [neuron_activations(model, inputs, [layer])[0][0, :, -1, neuron] for inputs in (alone, combined)]
    return fire[0], fire[1].view(k, k)


def small_neuron_output_share(pre_norm: torch.Tensor, post: torch.Tensor, w_out: torch.Tensor,
                              ratio: float = 0.1) -> torch.Tensor:
    """[n]: per token, the share of the MLP's neuron output ``post @ w_out`` (post [n, d_mlp] the
    activations the output weights read, w_out [d_mlp, d_model]) written by the neurons whose
    activation before the MLP's norm (pre_norm [n, d_mlp]; ``post`` itself for an MLP without
    one) is below ``ratio`` of that token's largest |activation|: the projection of their part on
    the whole, <small, total> / |total|^2 (the small and the other neurons' shares sum to 1)."""
    small = pre_norm.abs() < ratio * pre_norm.abs().amax(-1, keepdim=True)
    post, w_out = post.double(), w_out.double()
    total, part = post @ w_out, (post * small) @ w_out
    return ((part * total).sum(-1) / total.pow(2).sum(-1).clamp_min(1e-12)).float()


def mlp_norm_activations(model, tokens: torch.Tensor, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(before [batch, pos, d_mlp], after [batch, pos, d_mlp]) float32 on the CPU: MLP ``layer``'s
    activations before its own norm (SoLU's ``solu_ln``: x * softmax(x), then a LayerNorm) and
    after it (``mlp.hook_post``, what ``W_out`` reads), for ``tokens`` [batch, pos]; an MLP
    without its own norm (GELU, ReLU) gives ``mlp.hook_post`` twice."""
    post = NEURON_HOOK.format(layer=layer)
    before = pre_norm_hook(model, layer)
    cache = cache_activations(model, tokens, {before, post},
                              stop_at_layer=layer + 1 if layer + 1 < model.cfg.n_layers else None)
    return cache[before].float().cpu(), cache[post].float().cpu()


def pre_norm_hook(model, layer: int) -> str:
    """The hook of MLP ``layer``'s activations before its own norm: SoLU's ``mlp.ln.hook_in``, or
    ``mlp.hook_post`` for an MLP without one."""
    return MLP_NORM_IN_HOOK.format(layer=layer) if model.cfg.act_fn == "solu_ln" else NEURON_HOOK.format(layer=layer)


def small_activation_ablation(model, layers: list[int], ratio: float = 0.1) -> list[Hook]:
    """Forward hooks that zero, in each of ``layers``' MLPs, the activations before its own norm
    (``pre_norm_hook``) below ``ratio`` of the token's largest |activation| there, so that a
    norm after them (SoLU's LayerNorm) normalises what is left."""
    def zero_small(act: torch.Tensor, hook=None) -> torch.Tensor:
        return act * (act.abs() >= ratio * act.abs().amax(-1, keepdim=True))

    return [(pre_norm_hook(model, layer), zero_small) for layer in layers]
