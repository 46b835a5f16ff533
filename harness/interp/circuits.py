"""Evaluating a circuit (a set of attention heads) by mean-ablating everything outside it.

Wang et al. 2022 (IOI, section 4): F(C) is the task metric of the model with every head outside
C mean-ablated (per-position means over a reference batch, e.g. the ABC distribution), F(M) the
unablated model's.
- faithfulness: F(C) close to F(M) (reported as F(C), F(M) and F(C) / F(M));
- completeness: for subsets K of C, |F(C \\ K) - F(M \\ K)| small;
- minimality: for every v in C there is a K in C \\ {v} with |F(C \\ (K + v)) - F(C \\ K)| large.

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

from harness.interp.ablation import head_sites, mean_activations, patch_hooks, run_with_hooks
from harness.interp.hooks import Z_HOOK, Head
from harness.interp.metrics import Metric



def all_heads(model) -> list[Head]:
    return [(layer, head) for layer in range(model.cfg.n_layers) for head in range(model.cfg.n_heads)]


class CircuitEvaluator:
    """F(set of kept heads) on fixed tokens, with head means computed once from the reference."""

    def __init__(self, model, tokens: torch.Tensor, reference_tokens: torch.Tensor, metric: Metric):
        self.model, self.tokens, self.metric = model, tokens, metric
        self.means = mean_activations(model, reference_tokens, [Z_HOOK.format(layer=l) for l in range(model.cfg.n_layers)])
        self.heads = all_heads(model)

    def without(self, ablated: Iterable[Head]) -> float:
        """Metric with the ``ablated`` heads mean-ablated (F(M \\ ablated))."""
        hooks = patch_hooks(head_sites(ablated), self.means)
        return float(self.metric(run_with_hooks(self.model, self.tokens, hooks)))

    def keeping(self, circuit: Iterable[Head]) -> float:
        """F(circuit): every head outside ``circuit`` mean-ablated."""
        kept = set(map(tuple, circuit))
        return self.without([head for head in self.heads if head not in kept])


def faithfulness(evaluator: CircuitEvaluator, circuit: Sequence[Head]) -> dict[str, float]:
    """{"circuit": F(C), "model": F(M), "ratio": F(C) / F(M)}."""
    circuit_value, model_value = evaluator.keeping(circuit), evaluator.without([])
    return {"circuit": circuit_value, "model": model_value, "ratio": circuit_value / model_value}


def completeness(evaluator: CircuitEvaluator, circuit: Sequence[Head], subsets: Iterable[Sequence[Head]]) -> torch.Tensor:
    """[n_subsets]: incompleteness |F(C \\ K) - F(M \\ K)| for each K."""
    gaps = []
    for subset in subsets:
        removed = set(map(tuple, subset))
        gaps.append(abs(evaluator.keeping([h for h in circuit if tuple(h) not in removed]) - evaluator.without(removed)))
    return torch.tensor(gaps)


def minimality(evaluator: CircuitEvaluator, circuit: Sequence[Head],
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


def sufficiency_test(evaluator: CircuitEvaluator, circuit: Sequence[Head], n_random: int = 100,
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
