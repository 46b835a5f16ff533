"""Synthetic sparse-feature data for the toy models of superposition (Elhage et al. 2022).

Conventions (as in the paper's notebook):

* A batch of features is ``[batch, instances, features]``; each instance can have its own feature
  probability ("density" ``p = 1 - S`` where ``S`` is the paper's sparsity), so one training run of
  many instances sweeps sparsity.
* ``feature_probability`` accepted everywhere is a float, a ``[instances]`` tensor (one density per
  instance) or a ``[instances, features]`` tensor (per-feature densities, e.g. the non-uniform
  sparsity of open problem 4.4; use ``[1, features]`` to share across instances).
* Feature ``i`` is present with probability ``p`` independently; if present its value is drawn from
  a value distribution (paper: uniform on [0, 1]), else it is 0.
* Every random draw takes an explicit ``torch.Generator``; the same generator state gives the same
  batch, made on the generator's device (a CUDA generator draws on the GPU: another stream).

A *batch function* is a callable ``batch_fn(generator) -> x`` (autoencoding, target = x) or
``-> (x, y)`` (explicit target); ``harness.tms.train.train_tms`` consumes it.
"""
from __future__ import annotations

import itertools
from typing import Callable, Sequence

import torch


Probability = float | torch.Tensor

VALUE_DISTRIBUTIONS = (
    "uniform",         # U[0, 1] (paper default)
    "ones",            # always 1: "present/absent" features (open problem 4.7); binary 0/1 inputs for AND/OR (4.5)
    "discrete123",     # uniform over {1, 2, 3} (open problem 4.8)
    "uniform_half",    # U[0.5, 1] (open problem 4.9)
    "signed_uniform",  # U[-1, 1] (paper's absolute-value model, "Computation in Superposition")
)
#: Presence structures over groups of adjacent features, by group size, values U[0, 1] (the
#: paper's "correlated and anticorrelated features": open problems 4.16, 4.26).
GROUPED_DISTRIBUTIONS = {
    "pairs_together": 2,    # the two features of a pair are present together or not at all
    "pairs_apart": 2,       # at most one feature of a pair is present
    "triples_together": 3,  # the three features of a triple are present together or not at all
}


def density_sweep(n_instances: int, max_density: float = 1.0, min_density: float = 0.05) -> torch.Tensor:
    """Geometrically spaced feature probabilities ``[n_instances]`` from ``max_density`` down to
    ``min_density``. The defaults reproduce the notebook's ``20 ** -linspace(0, 1, n_instances)``."""
    if n_instances == 1:
        return torch.tensor([float(max_density)])
    t = torch.linspace(0.0, 1.0, n_instances, dtype=torch.float64)
    return (max_density * (min_density / max_density) ** t).to(torch.float32)


def importance_weights(n_features: int, decay: float = 1.0) -> torch.Tensor:
    """``I_i = decay ** i`` for ``i = 0..n-1`` -> ``[n_features]`` (paper: 0.7 for n=20, 0.9 for n=5)."""
    return torch.tensor([float(decay) ** i for i in range(n_features)], dtype=torch.float32)


def two_class_density(n_instances: int, n_features: int, n_dense: int,
                      dense_density: Probability, sparse_density: Probability) -> torch.Tensor:
    """Non-uniform sparsity (open problem 4.4): the first ``n_dense`` features have density
    ``dense_density``, the rest ``sparse_density``. Each density is a float or a ``[instances]``
    tensor (so one class can be swept across instances). Returns ``[n_instances, n_features]``."""
    d = torch.as_tensor(dense_density, dtype=torch.float32).reshape(-1, 1).expand(n_instances, 1)
    s = torch.as_tensor(sparse_density, dtype=torch.float32).reshape(-1, 1).expand(n_instances, 1)
    out = s.expand(n_instances, n_features).clone()
    out[:, :n_dense] = d
    return out


def _draws(generator: torch.Generator | None) -> dict:
    """The keyword arguments of a random draw: from ``generator``, on its device."""
    return {"generator": generator, "device": None if generator is None else generator.device}


def _probability_tensor(p: Probability, n_instances: int, n_features: int,
                        device: torch.device | None = None) -> torch.Tensor:
    p = torch.as_tensor(p, dtype=torch.float32, device=device)
    if p.ndim == 0:
        return p.expand(n_instances, n_features)
    if p.ndim == 1:
        if p.shape[0] != n_instances:
            raise ValueError(f"1-D feature_probability must be [instances={n_instances}], got {tuple(p.shape)}; "
                             "pass per-feature densities as [1, features] or [instances, features]")
        return p[:, None].expand(n_instances, n_features)
    if p.ndim == 2:
        return p.expand(n_instances, n_features)
    raise ValueError(f"feature_probability must be scalar, [instances] or [instances, features]; got {tuple(p.shape)}")


def sample_values(shape: Sequence[int], distribution: str = "uniform",
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Feature values (before the sparsity mask) of the given shape from a named distribution
    (see ``VALUE_DISTRIBUTIONS``)."""
    shape = tuple(shape)
    if distribution == "uniform":
        return torch.rand(shape, **_draws(generator))
    if distribution == "ones":
        return torch.ones(shape, device=_draws(generator)["device"])
    if distribution == "discrete123":
        return torch.randint(1, 4, shape, **_draws(generator)).to(torch.float32)
    if distribution == "uniform_half":
        return 0.5 + 0.5 * torch.rand(shape, **_draws(generator))
    if distribution == "signed_uniform":
        return 2 * torch.rand(shape, **_draws(generator)) - 1
    raise ValueError(f"unknown distribution {distribution!r}; expected one of {VALUE_DISTRIBUTIONS}")


def generate_features(batch_size: int, n_instances: int, n_features: int, feature_probability: Probability,
                      distribution: str = "uniform",
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Sparse features ``[batch, instances, features]``: each entry present with its probability,
    value from ``distribution``, else 0 (notebook's ``generate_batch``)."""
    p = _probability_tensor(feature_probability, n_instances, n_features, _draws(generator)["device"]).contiguous()
    shape = (batch_size, n_instances, n_features)
    if distribution in GROUPED_DISTRIBUTIONS:
        return sample_values(shape, "uniform", generator) * grouped_presence(shape, p, distribution, generator)
    values = sample_values(shape, distribution, generator)
    present = torch.rand(shape, **_draws(generator)) < p
    return values * present


def grouped_presence(shape: tuple[int, int, int], p: torch.Tensor, structure: str,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """[batch, instances, features] bool presence with one uniform draw r per group of
    ``GROUPED_DISTRIBUTIONS[structure]`` adjacent features (the first has probability p_g):
    ``"..._together"``: every feature of the group is present when r < p_g; ``"pairs_apart"``:
    feature 2k when r < p_2k, feature 2k + 1 when p_2k <= r < p_2k + p_2k+1. p: [instances,
    features], a multiple of the group size of features."""
    size = GROUPED_DISTRIBUTIONS[structure]
    r = torch.rand(shape[0], shape[1], shape[2] // size, **_draws(generator))
    first = p[:, 0::size]
    if structure != "pairs_apart":
        return (r < first).repeat_interleave(size, dim=-1)
    present = torch.empty(shape, dtype=torch.bool, device=r.device)
    present[..., 0::2] = r < first
    present[..., 1::2] = (r >= first) & (r < first + p[:, 1::2])
    return present


def make_feature_batch_fn(batch_size: int, n_instances: int, n_features: int,
                          feature_probability: Probability,
                          distribution: str = "uniform") -> Callable[[torch.Generator], torch.Tensor]:
    """Autoencoding batch function for ``harness.tms.models.ReLUOutputModel``:
    ``fn(generator) -> x [batch, instances, features]`` (target is ``x``)."""
    p = _probability_tensor(feature_probability, n_instances, n_features).clone()

    def batch_fn(generator: torch.Generator) -> torch.Tensor:
        return generate_features(batch_size, n_instances, n_features, p, distribution, generator)

    return batch_fn


# ---------------------------------------------------------------- computation targets

PAIR_OPS = ("max_abs", "and", "or", "max")


def adjacent_pairs(n_inputs: int) -> torch.Tensor:
    """Disjoint pairs ``(0,1), (2,3), ...`` -> ``[n_inputs // 2, 2]`` long."""
    return torch.arange(2 * (n_inputs // 2)).reshape(-1, 2)


def all_pairs(n_inputs: int) -> torch.Tensor:
    """All ``n(n-1)/2`` unordered pairs ``i < j`` -> ``[n_pairs, 2]`` long (more outputs than inputs;
    with few neurons this gives many more computed features than neurons, cf. open problem 4.13)."""
    return torch.tensor(list(itertools.combinations(range(n_inputs), 2)), dtype=torch.long).reshape(-1, 2)


def abs_target(x: torch.Tensor) -> torch.Tensor:
    """``|x|`` elementwise (paper's absolute-value model)."""
    return x.abs()


def square_target(x: torch.Tensor) -> torch.Tensor:
    """``x^2`` elementwise (open problem 4.3)."""
    return x * x


def pair_target(x: torch.Tensor, pairs: torch.Tensor, op: str) -> torch.Tensor:
    """Function of feature pairs: ``x [..., n_inputs]``, ``pairs [n_pairs, 2]`` -> ``[..., n_pairs]``.

    ``op``: ``"max_abs"`` = max(|a|, |b|) (4.14), ``"and"`` = a*b and ``"or"`` = max(a, b) on binary
    inputs (4.5), ``"max"`` = max(a, b) (4.6)."""
    a, b = x[..., pairs[:, 0]], x[..., pairs[:, 1]]
    if op == "max_abs":
        return torch.maximum(a.abs(), b.abs())
    if op == "and":
        return a * b
    if op == "or":
        return torch.maximum(a, b)
    if op == "max":
        return torch.maximum(a, b)
    raise ValueError(f"unknown pair op {op!r}; expected one of {PAIR_OPS}")


TARGETS = {"abs": abs_target, "square": square_target}


def grouped_abs_sum(x: torch.Tensor, n_groups: int) -> torch.Tensor:
    """Sum of ``|x|`` over ``n_groups`` contiguous, equal groups of inputs:
    ``x [..., n_inputs] -> [..., n_groups]`` (open problem 4.13: many hidden features ``|x_i|``,
    few outputs)."""
    n = x.shape[-1]
    if n % n_groups:
        raise ValueError(f"n_inputs={n} is not divisible by n_groups={n_groups}")
    return x.abs().reshape(*x.shape[:-1], n_groups, n // n_groups).sum(-1)


def computation_target(target: str, n_inputs: int, pairs: torch.Tensor | None = None,
                       n_groups: int | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    """The function ``x [..., n_inputs] -> y [..., n_out]`` named ``target``: ``"abs"`` |
    ``"square"`` (elementwise), one of ``PAIR_OPS`` (``pairs`` default ``adjacent_pairs``)
    or ``"group_abs_sum"`` (``grouped_abs_sum``, ``n_groups`` default 1)."""
    if target in TARGETS:
        return TARGETS[target]
    if target in PAIR_OPS:
        pr = adjacent_pairs(n_inputs) if pairs is None else torch.as_tensor(pairs, dtype=torch.long)
        return lambda x: pair_target(x, pr, target)
    if target == "group_abs_sum":
        return lambda x: grouped_abs_sum(x, n_groups or 1)
    raise ValueError(f"unknown target {target!r}; expected one of {tuple(TARGETS) + PAIR_OPS + ('group_abs_sum',)}")


def default_distribution(target: str) -> str:
    """Input value distribution of a computation target: binary for AND/OR, U[0, 1] for max,
    U[-1, 1] otherwise."""
    return {"and": "ones", "or": "ones", "max": "uniform"}.get(target, "signed_uniform")


def make_computation_batch_fn(batch_size: int, n_instances: int, n_inputs: int,
                              feature_probability: Probability, target: str = "abs",
                              distribution: str | None = None,
                              pairs: torch.Tensor | None = None, n_groups: int | None = None
                              ) -> Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]]:
    """Batch function ``fn(generator) -> (x [batch, instances, n_inputs], y [batch, instances, n_out])``
    for ``harness.tms.models.ComputationModel``, with ``y = computation_target(target)(x)``.

    ``distribution`` defaults to ``"signed_uniform"`` for abs/square/max_abs/group_abs_sum,
    ``"ones"`` (binary) for and/or, ``"uniform"`` for max.
    """
    distribution = distribution or default_distribution(target)
    fn = computation_target(target, n_inputs, pairs, n_groups)
    p = _probability_tensor(feature_probability, n_instances, n_inputs).clone()

    def batch_fn(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        x = generate_features(batch_size, n_instances, n_inputs, p, distribution, generator)
        return x, fn(x)

    return batch_fn


# ---------------------------------------------------------------- classification (4.12)

def generate_classification_batch(batch_size: int, n_instances: int, n_features: int,
                                  feature_probability: Probability, distribution: str = "uniform",
                                  generator: torch.Generator | None = None
                                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sparse features with a class label = index of the largest feature (open problem 4.12).

    Rows with no feature present get one feature, chosen uniformly, switched on (value from
    ``distribution``), so every row has a label. Returns ``x [batch, instances, features]`` and
    ``y [batch, instances]`` (long, in ``0..n_features-1``)."""
    x = generate_features(batch_size, n_instances, n_features, feature_probability, distribution, generator)
    empty = (x != 0).sum(-1) == 0                                      # [batch, instances]
    forced = torch.randint(0, n_features, (batch_size, n_instances), **_draws(generator))
    vals = sample_values((batch_size, n_instances), distribution, generator)
    vals = torch.where(vals == 0, torch.ones(()), vals)                # never force a 0 value
    onehot = torch.nn.functional.one_hot(forced, n_features).to(x.dtype) * vals[..., None]
    x = torch.where(empty[..., None], onehot, x)
    return x, x.argmax(-1)


def make_classification_batch_fn(batch_size: int, n_instances: int, n_features: int,
                                 feature_probability: Probability, distribution: str = "uniform"
                                 ) -> Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]]:
    """Batch function for ``train_tms(..., loss="cross_entropy")``: ``fn(generator) -> (x, y)``."""
    p = _probability_tensor(feature_probability, n_instances, n_features).clone()

    def batch_fn(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return generate_classification_batch(batch_size, n_instances, n_features, p, distribution, generator)

    return batch_fn
