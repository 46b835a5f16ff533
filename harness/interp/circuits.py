"""Evaluating a circuit by mean-ablating everything outside it.

Wang et al. 2022 (IOI, section 4): F(C) is the task metric of the model with everything outside
C mean-ablated over a reference batch (the ABC distribution), F(M) the unablated model's.
- faithfulness: F(C) close to F(M) (reported as F(C), F(M) and F(C) / F(M));
- completeness: for subsets K of C, |F(C \\ K) - F(M \\ K)| small;
- minimality: for every v in C there is a K in C \\ {v} with |F(C \\ (K + v)) - F(C \\ K)| large.

Two evaluators:
- ``HeadCircuitEvaluator`` (the simpler variant): a circuit is a set of heads, kept at every
  position; the others are replaced by their per-position mean pooled over the whole reference.
- ``HeadPositionCircuitEvaluator`` (the paper's definition): a circuit is a set of (head,
  position) pairs, positions given per prompt (the IOI paper keeps name movers at END,
  induction heads at S2, ...); every other (head, position) is replaced by the mean of that
  head's output at that position over the reference prompts of the same group (template).
  Sources, in the authors' code (redwoodresearch/Easy-Transformer, ``ioi_circuit_extraction.py``):
  ``get_heads_circuit`` keeps each head at the token positions of its class
  (``RELEVANT_TOKENS``), ``process_heads_and_mlps`` / ``turn_keep_into_rmv`` ablate every other
  position of every head, ``do_circuit_extraction`` takes the means over ``mean_dataset`` (the ABC
  dataset) with ``EasyAblation(mean_by_groups=True, groups=ioi_dataset.groups)``, whose
  ``compute_mean`` (easy_transformer/experiments.py) writes to every row of a group (the
  prompts of one template) the mean over the ABC rows of that group, per position.
  Deviation: the authors replace ``attn.hook_result`` (a head's output after W_O), we replace
  ``attn.hook_z`` (before W_O); W_O is linear, so the mean and the replaced output are the same.

Shi et al. 2024 ("Hypothesis testing the circuit hypothesis in LLMs", flexible "sufficiency"
test): the candidate's faithfulness gap |F(C) - F(M)| is compared with random circuits of
the same size; H0 "the candidate beats at most a fraction q* of random circuits" is tested with
an exact one-sided binomial test on the number it beats.

``metric`` maps logits [batch, seq, d_vocab] to a 0-d tensor.
"""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Iterable, Sequence

import torch

from harness.interp.ablation import group_mean_activations, head_sites, mean_activations, patch_hooks
from harness.interp.hooks import Z_HOOK, Head, Hook
from harness.interp.metrics import Metric, metric_with_hooks

HeadPositions = dict[Head, torch.Tensor]  # (layer, head) -> its kept positions, [batch] or [batch, k]


def all_heads(model) -> list[Head]:
    return [(layer, head) for layer in range(model.cfg.n_layers) for head in range(model.cfg.n_heads)]


class HeadCircuitEvaluator:
    """F(set of kept heads) on fixed tokens: heads kept at every position, the others replaced by
    their per-position mean pooled over the whole reference batch (computed once)."""

    def __init__(self, model, tokens: torch.Tensor, reference_tokens: torch.Tensor, metric: Metric):
        self.model, self.tokens, self.metric = model, tokens, metric
        self.means = mean_activations(model, reference_tokens, [Z_HOOK.format(layer=l) for l in range(model.cfg.n_layers)])
        self.heads = all_heads(model)

    def without(self, ablated: Iterable[Head]) -> float:
        """Metric with the ``ablated`` heads mean-ablated (F(M \\ ablated))."""
        hooks = patch_hooks(head_sites(ablated), self.means)
        return metric_with_hooks(self.model, self.tokens, hooks, self.metric)

    def keeping(self, circuit: Iterable[Head]) -> float:
        """F(circuit): every head outside ``circuit`` mean-ablated."""
        kept = set(map(tuple, circuit))
        return self.without([head for head in self.heads if head not in kept])


class HeadPositionCircuitEvaluator:
    """F(set of kept (head, position) pairs) on fixed tokens [batch, seq], Wang et al. 2022's
    definition (module docstring): every other (head, position) is replaced by the mean of that
    head's output at that position over the ``reference_tokens`` rows of the same group.

    reference_tokens: [batch, seq], row i a reference prompt of row i's group (e.g. its ABC
    corruption: the same template); groups: [batch] group id of each row (its template).
    Circuits are ``{head: positions}``, positions [batch] or [batch, k] (per prompt)."""

    def __init__(self, model, tokens: torch.Tensor, reference_tokens: torch.Tensor, metric: Metric,
                 groups: torch.Tensor):
        self.model, self.tokens, self.metric = model, tokens, metric
        names = [Z_HOOK.format(layer=l) for l in range(model.cfg.n_layers)]
        self.means = group_mean_activations(model, reference_tokens, names, groups)
        self.heads = all_heads(model)

    def mask(self, pairs: HeadPositions) -> torch.Tensor:
        """[n_layers, batch, seq, n_heads] bool, True at every (head, position) of ``pairs``."""
        batch, seq = self.tokens.shape
        mask = torch.zeros(self.model.cfg.n_layers, batch, seq, self.model.cfg.n_heads, dtype=torch.bool)
        for (layer, head), positions in pairs.items():
            positions = torch.as_tensor(positions).reshape(batch, -1)
            mask[layer, torch.arange(batch)[:, None].expand_as(positions), positions, head] = True
        return mask

    def hooks(self, ablated: torch.Tensor) -> list[Hook]:
        """Hooks replacing the (head, position)s where ``ablated`` ([n_layers, batch, seq,
        n_heads] bool) is True by their group means."""
        names = [Z_HOOK.format(layer=l) for l in range(len(ablated))]
        sites = [(name, (ablated[l].to(self.means[name].device),)) for l, name in enumerate(names) if ablated[l].any()]
        return patch_hooks(sites, self.means)

    def ablating(self, ablated: torch.Tensor) -> float:
        """Metric with the (head, position)s of the mask ``ablated`` (as in ``hooks``) mean-ablated."""
        return metric_with_hooks(self.model, self.tokens, self.hooks(ablated), self.metric)

    def without(self, ablated: HeadPositions | Iterable) -> float:
        """Metric with the ``ablated`` (head, position)s mean-ablated (F(M \\ ablated))."""
        return self.ablating(self.mask(dict(ablated)))

    def keeping(self, circuit: HeadPositions) -> float:
        """F(circuit): every (head, position) outside ``circuit`` mean-ablated."""
        return self.ablating(~self.mask(circuit))


def head_positions(classes: dict[str, Sequence[Head]], class_positions: dict[str, Sequence[str]],
                   positions: dict[str, torch.Tensor]) -> HeadPositions:
    """{head: [batch, k] positions}: each head of class c kept at ``positions[p]`` ([batch]) for
    every p in ``class_positions[c]``; a head in several classes keeps all their positions."""
    kept: dict[Head, list[torch.Tensor]] = {}
    for name, heads in classes.items():
        for head in heads:
            kept.setdefault(tuple(head), []).extend(positions[p] for p in class_positions[name])
    return {head: torch.stack(columns, 1) for head, columns in kept.items()}


def faithfulness(evaluator: HeadCircuitEvaluator | HeadPositionCircuitEvaluator,
                 circuit: Sequence[Head] | HeadPositions) -> dict[str, float]:
    """{"circuit": F(C), "model": F(M), "ratio": F(C) / F(M)}; ``circuit`` in the evaluator's form."""
    circuit_value, model_value = evaluator.keeping(circuit), evaluator.without(())
    return {"circuit": circuit_value, "model": model_value, "ratio": circuit_value / model_value}


def completeness(evaluator: HeadCircuitEvaluator, circuit: Sequence[Head], subsets: Iterable[Sequence[Head]]) -> torch.Tensor:
    """[n_subsets]: incompleteness |F(C \\ K) - F(M \\ K)| for each K."""
    gaps = []
    for subset in subsets:
        removed = set(map(tuple, subset))
        gaps.append(abs(evaluator.keeping([h for h in circuit if tuple(h) not in removed]) - evaluator.without(removed)))
    return torch.tensor(gaps)


def minimality(evaluator: HeadCircuitEvaluator, circuit: Sequence[Head],
               k_sets: dict[Head, Sequence[Head]] | None = None) -> torch.Tensor:
    """[len(circuit)]: |F(C \\ (K_v + v)) - F(C \\ K_v)| per head v, with K_v from ``k_sets``
    (default: empty, i.e. the effect of removing v alone)."""
    scores = []
    for head in circuit:
        k = set(map(tuple, (k_sets or {}).get(tuple(head), ())))
        reduced = [h for h in circuit if tuple(h) not in k]
        scores.append(abs(evaluator.keeping([h for h in reduced if tuple(h) != tuple(head)]) - evaluator.keeping(reduced)))
    return torch.tensor(scores)


def random_circuits(heads: Sequence[Head], size: int, n: int, seed: int) -> list[list[Head]]:
    """``n`` uniformly random ``size``-subsets of ``heads`` (seeded)."""
    rng = random.Random(seed)
    return [sorted(rng.sample(list(heads), size)) for _ in range(n)]


def binomial_upper_tail(successes: int, trials: int, p: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, p)."""
    return sum(math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(successes, trials + 1))


@dataclasses.dataclass
class SufficiencyResult:
    p_value: float  # H0: the candidate beats at most a fraction q_star of random circuits
    beaten_fraction: float  # fraction of random circuits whose gap is larger than the candidate's
    candidate_gap: float  # |F(C) - F(M)|
    random_gaps: torch.Tensor  # [n_random]


def sufficiency_test(evaluator: HeadCircuitEvaluator, circuit: Sequence[Head], n_random: int = 100,
                     q_star: float = 0.9, seed: int = 0) -> SufficiencyResult:
    """Shi et al. 2024 sufficiency test of ``circuit`` against ``n_random`` random circuits of
    the same size (module docstring); a small p-value rejects "no better than random"."""
    model_value = evaluator.without([])
    candidate = abs(evaluator.keeping(circuit) - model_value)
    others = random_circuits(evaluator.heads, len(circuit), n_random, seed)
    gaps = torch.tensor([abs(evaluator.keeping(c) - model_value) for c in others])
    wins = int((gaps > candidate).sum())
    return SufficiencyResult(binomial_upper_tail(wins, n_random, q_star), wins / n_random, candidate, gaps)


def ranking_against_truth(scores: dict[str, float], truth: set[str], found_above: float) -> dict[str, float]:
    """Precision and recall of the components a method finds (``|score| > found_above``) against
    a known circuit ``truth``, and the AUROC of its ranking by ``|score|`` (the chance that a
    circuit component outranks a non-circuit one, ties counting one half; NaN when either
    side is empty). ``scores``: {component: score} over every component."""
    found = {name for name, score in scores.items() if abs(score) > found_above}
    pos = [abs(s) for name, s in scores.items() if name in truth]
    neg = [abs(s) for name, s in scores.items() if name not in truth]
    pairs = [1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg]
    return {
        "precision": len(found & truth) / len(found) if found else float("nan"),
        "recall": len(found & truth) / len(truth) if truth else float("nan"),
        "auroc": sum(pairs) / len(pairs) if pairs else float("nan"),
    }
