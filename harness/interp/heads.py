"""Attention-head scores over a batch, as ``[n_layers, n_heads]`` tensors.

A score is the mean attention a head pays, over the queries that have a target, to the key
positions a head type is defined to attend to (Olsson et al. 2022, "In-context learning and
induction heads"; Wang et al. 2022 for duplicate-token heads):

- previous-token: key = query - 1
- induction: keys whose *previous* token equals the query token (the token after an earlier copy)
- duplicate-token: earlier keys holding the same token as the query
- BOS: key 0

Copying (Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits") is a weight
score, not an attention score: the share of positive eigenvalues, sum(lambda) / sum(|lambda|),
of the head's OV circuit W_E W_V W_O W_U over the vocabulary (1 = copies every token it
attends to onto the logits).
"""

from __future__ import annotations

from typing import Callable

import torch

from harness.interp.ablation import cache_activations
from harness.interp.composition import expand_kv_heads
from harness.interp.hooks import PATTERN_HOOK, Head
from harness.interp.stacked_weights import stacked

# a head "is" a head of a type when its score exceeds this: mean attention to the target
# position, the detector threshold of ARENA "Intro to Mech Interp" (1.2)
DETECTOR_THRESHOLD = 0.4


def layer_patterns(model, tokens: torch.Tensor) -> list[torch.Tensor]:
    """Each layer's attention [batch, n_heads, query, key], caching only the patterns."""
    names = [PATTERN_HOOK.format(layer=layer) for layer in range(model.cfg.n_layers)]
    cache = cache_activations(model, tokens.to(model.cfg.device or "cpu"), names)
    return [cache[name] for name in names]


def attention_patterns(model, tokens: torch.Tensor) -> torch.Tensor:
    """All heads' attention: [n_layers, batch, n_heads, query, key]. Caches only the patterns."""
    return torch.stack(layer_patterns(model, tokens))


def previous_token_targets(tokens: torch.Tensor) -> torch.Tensor:
    """[batch, seq] -> [batch, query, key] bool: key == query - 1."""
    batch, seq = tokens.shape
    return torch.eye(seq, dtype=torch.bool, device=tokens.device).roll(-1, dims=1).tril(-1).expand(batch, -1, -1)


def duplicate_token_targets(tokens: torch.Tensor) -> torch.Tensor:
    """[batch, seq] -> [batch, query, key] bool: key < query and tokens[key] == tokens[query]."""
    same = tokens[:, :, None] == tokens[:, None, :]
    return same & torch.ones_like(same[0]).tril(-1)


def offset_induction_targets(tokens: torch.Tensor, offset: int) -> torch.Tensor:
    """[batch, seq] -> [batch, query, key] bool: offset <= key <= query and tokens[key - offset]
    == tokens[query]: the token ``offset`` after an earlier copy of the query token (offset 1 is
    induction; larger offsets, "pointer-arithmetic" induction, open problem 2.1)."""
    batch, seq = tokens.shape
    targets = torch.zeros(batch, seq, seq, dtype=torch.bool, device=tokens.device)
    targets[:, :, offset:] = tokens[:, :, None] == tokens[:, None, : seq - offset]
    return targets & torch.ones(seq, seq, dtype=torch.bool, device=tokens.device).tril()


def induction_targets(tokens: torch.Tensor) -> torch.Tensor:
    """[batch, seq] -> [batch, query, key] bool: 1 <= key <= query and tokens[key - 1] == tokens[query]."""
    return offset_induction_targets(tokens, 1)


def bos_targets(tokens: torch.Tensor) -> torch.Tensor:
    """[batch, seq] -> [batch, query, key] bool: key == 0 (queries after the first)."""
    batch, seq = tokens.shape
    targets = torch.zeros(batch, seq, seq, dtype=torch.bool, device=tokens.device)
    targets[:, 1:, 0] = True
    return targets


def target_mass(patterns: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(attention mass on the target keys ``[n_layers, batch, n_heads, query]``, whether each query
    has a target ``[batch, query]`` as the patterns' dtype), of patterns ``[n_layers, batch,
    n_heads, query, key]`` and targets ``[batch, query, key]`` bool. A product and a sum: an
    einsum here runs as a batched matrix-vector product, 2.5x slower on a toy model's patterns."""
    targets = targets.to(patterns.device, patterns.dtype)
    return (patterns * targets[None, :, None]).sum(-1), targets.amax(-1)


def attention_to_targets(patterns: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean attention mass on target keys, over (batch, query) pairs that have a target.

    patterns: [n_layers, batch, n_heads, query, key]; targets: [batch, query, key] bool
    -> [n_layers, n_heads].
    """
    mass, has_target = target_mass(patterns, targets)
    return (mass * has_target[None, :, None]).sum((1, 3)) / has_target.sum()


def attention_to_targets_per_example(patterns: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``attention_to_targets`` for each example alone: [n_layers, batch, n_heads] (NaN for an
    example without a target)."""
    mass, has_target = target_mass(patterns, targets)
    return (mass * has_target[None, :, None]).sum(3) / has_target.sum(-1)[:, None]


def head_scores(model, tokens: torch.Tensor, targets_fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """[n_layers, n_heads] attention to ``targets_fn(tokens)`` on ``tokens`` [batch, seq]
    (layer by layer, so the patterns are never copied into one tensor)."""
    targets = targets_fn(tokens.cpu())
    with torch.inference_mode():
        return torch.cat([attention_to_targets(p[None], targets) for p in layer_patterns(model, tokens)]).cpu()


def previous_token_scores(model, tokens: torch.Tensor) -> torch.Tensor:
    return head_scores(model, tokens, previous_token_targets)


def induction_scores(model, tokens: torch.Tensor) -> torch.Tensor:
    return head_scores(model, tokens, induction_targets)


def duplicate_token_scores(model, tokens: torch.Tensor) -> torch.Tensor:
    return head_scores(model, tokens, duplicate_token_targets)


def ov_eigenvalues(model) -> torch.Tensor:
    """[n_layers, n_heads, d_head] complex eigenvalues of each head's OV circuit
    W_E W_V W_O W_U [d_vocab, d_vocab]. Its non-zero eigenvalues are those of the d_head x d_head
    product W_O W_U W_E W_V, so the vocabulary matrix is never formed."""
    with torch.inference_mode():
        w_v = stacked(model, "W_V").double()
        w_v = expand_kv_heads(w_v, model.cfg.n_heads)  # grouped-query heads
        unembed_embed = stacked(model, "W_U").double() @ stacked(model, "W_E").double()  # [d_model, d_model]
        small = stacked(model, "W_O").double() @ unembed_embed @ w_v  # [n_layers, n_heads, d_head, d_head]
        return torch.linalg.eigvals(small.cpu())


def copying_scores(model) -> torch.Tensor:
    """[n_layers, n_heads]: sum(eig) / sum(|eig|) of each head's OV circuit, in [-1, 1]."""
    eigenvalues = ov_eigenvalues(model)
    return (eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1)).float()


def top_head(scores: torch.Tensor, layer: int | None = None) -> Head:
    """(layer, head) of the highest score, optionally within one layer. scores: [n_layers, n_heads]."""
    if layer is not None:
        return layer, int(scores[layer].argmax())
    flat = int(scores.argmax())
    return divmod(flat, scores.shape[1])


def top_heads(scores: torch.Tensor, k: int, largest: bool = True) -> list[Head]:
    """The ``k`` (layer, head) pairs with the largest (or smallest) ``scores`` [n_layers,
    n_heads], best first."""
    flat = scores.flatten().topk(k, largest=largest).indices
    return [divmod(int(i), scores.shape[1]) for i in flat]


def clear_top_head(scores: torch.Tensor, margin: float) -> Head | None:
    """``top_head`` when its score beats every other head's by at least ``margin``, else
    ``None`` (a pick among near-equal heads, which training noise can swap). scores:
    [n_layers, n_heads]."""
    best, runner_up = scores.flatten().topk(2).values
    return top_head(scores) if float(best - runner_up) >= margin else None


def head_name(head: Head) -> str:
    """``(layer, head)`` -> "L<layer>H<head>", as heads are named in notes and snapshots."""
    return f"L{head[0]}H{head[1]}"


def named_scores(scores: torch.Tensor, heads, digits: int | None = None) -> dict[str, float]:
    """{head name: score} of ``heads`` (``(layer, head)`` pairs) in ``scores`` [n_layers,
    n_heads] (or any mapping indexed by ``(layer, head)``), rounded to ``digits`` if given."""
    values = {head_name(h): float(scores[h[0], h[1]]) for h in heads}
    return values if digits is None else {name: round(v, digits) for name, v in values.items()}


def heads_above(scores: torch.Tensor, threshold: float) -> list[Head]:
    """Sorted (layer, head) pairs whose score exceeds ``threshold``."""
    return [tuple(map(int, idx)) for idx in (scores > threshold).nonzero()]


def ov_logits(model, head: Head, sources: torch.Tensor, columns: torch.Tensor | None = None) -> torch.Tensor:
    """[n, d_vocab] (or [n, len(columns)]): the logits that head ``head``'s OV circuit
    W_E W_V W_O W_U writes when it attends to the embedding of each of ``sources`` [n]
    (vocabulary ids), restricted to the vocabulary ids ``columns`` if given (Elhage et al. 2021;
    no norm, as in their analysis). On the model's device; only an [n, d_vocab] block is formed."""
    layer, index = head
    with torch.inference_mode():
        w_v = expand_kv_heads(stacked(model, "W_V"), model.cfg.n_heads)[layer, index]  # grouped-query heads
        w_e, w_u = stacked(model, "W_E"), stacked(model, "W_U")
        if columns is not None:
            w_u = w_u[:, columns.to(w_u.device)]
        return w_e[sources.to(w_e.device)] @ w_v @ stacked(model, "W_O")[layer, index] @ w_u


def ov_copying_accuracy(model, heads: list[Head], tokens: torch.Tensor, k: int) -> torch.Tensor:
    """[len(heads)] share of ``tokens`` [n] (vocabulary ids) that are among the top ``k`` of
    their own row of the head's OV circuit (``ov_logits``): how often attending to token t raises
    t's logit most."""
    accuracy = []
    for head in heads:
        logits = ov_logits(model, head, tokens)  # [n, d_vocab]
        own = logits.gather(1, tokens.to(logits.device)[:, None])
        accuracy.append(((logits > own).sum(1) < k).float().mean())
    return torch.stack(accuracy).cpu()


def ov_pair_ranks(model, head: Head, sources: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """[n] the rank (0 = first) of ``targets[i]`` among all of ``targets`` [n] in the OV circuit's
    row of ``sources[i]`` [n] (``ov_logits``): whether attending to a word writes its own partner
    (e.g. its translation) more than the other words' partners."""
    logits = ov_logits(model, head, sources, targets)  # [n, n]
    return (logits > logits.diagonal()[:, None]).sum(1).cpu()
