"""Linear probes on activations (Alain & Bengio 2016): logistic regression fitted on a train
split and scored on a held-out split, with a shuffled-label baseline (Hewitt & Liang 2019's
control: a probe that does as well on shuffled labels measures the probe, not the model).

- ``linear_probe``: accuracy on a random held-out split, with the shuffled-label baseline.
- ``probe_auroc``: a probe fitted where ``select`` and scored (AUROC) elsewhere; ``probe_scores``
  and ``probe_direction``: that probe's scores on every row and its weight vector;
  ``readout_interference``: how a second feature's presence bears on a probe's readout (4.28).
- ``sparse_probe_neurons``: the fewest neurons a k-sparse probe needs for a held-out AUROC
  (Gurnee et al. 2023, "Finding Neurons in a Haystack": neurons ranked by mean difference).
- ``cross_validated_accuracy``: k-fold accuracy of a probe, for small sets."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """Held-out accuracy of the probe and of the same probe fitted on shuffled train labels;
    ``direction`` [d]: the probe's unit weight vector."""

    accuracy: float
    shuffled_accuracy: float
    direction: torch.Tensor


def linear_probe(features: torch.Tensor, labels: torch.Tensor, seed: int, test_size: float = 0.3) -> ProbeResult:
    """Fit a logistic-regression probe on ``features`` [n, d] -> ``labels`` [n] (stratified
    split drawn with ``seed``; features standardised by the train split's statistics)."""
    x, y = features.double().cpu().numpy(), labels.cpu().numpy()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-8
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

    def fit(targets: np.ndarray) -> LogisticRegression:
        return LogisticRegression(max_iter=2000).fit(x_train, targets)

    probe = fit(y_train)
    shuffled = fit(np.random.default_rng(seed).permutation(y_train))
    weights = torch.from_numpy(probe.coef_[0] / std)  # back in the activations' coordinates
    return ProbeResult(float(probe.score(x_test, y_test)), float(shuffled.score(x_test, y_test)), weights / weights.norm())


def _probe() -> Pipeline:
    """Standardised features, then L2 logistic regression (scikit-learn's defaults, C = 1)."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def _fitted(features: torch.Tensor, labels: torch.Tensor, select: torch.Tensor) -> tuple[Pipeline, np.ndarray]:
    """(``_probe`` fitted on the ``select`` rows, every row as a float64 array)."""
    x, y, s = features.double().cpu().numpy(), labels.cpu().numpy(), select.cpu().numpy()
    return _probe().fit(x[s], y[s]), x


def probe_scores(features: torch.Tensor, labels: torch.Tensor, select: torch.Tensor) -> torch.Tensor:
    """[n] float64 decision scores of a logistic-regression probe fitted on the ``select`` rows of
    ``features`` [n, d] -> ``labels`` [n] bool, for every row (select [n] bool)."""
    probe, x = _fitted(features, labels, select)
    return torch.from_numpy(probe.decision_function(x))


def probe_direction(features: torch.Tensor, labels: torch.Tensor, select: torch.Tensor) -> torch.Tensor:
    """[d] float64 unit vector: the weights of the ``probe_scores`` probe in the space of the raw
    ``features`` (the standardised weights divided by each feature's scale)."""
    probe, _ = _fitted(features, labels, select)
    weights = torch.from_numpy(probe[-1].coef_[0] / probe[0].scale_)
    return weights / weights.norm()


def probe_auroc(features: torch.Tensor, labels: torch.Tensor, select: torch.Tensor) -> float:
    """Held-out AUROC of a logistic-regression probe fitted on the ``select`` rows of
    ``features`` [n, d] -> ``labels`` [n] bool and scored on the other rows (select [n] bool)."""
    return float(roc_auc_score(labels[~select].cpu().numpy(), probe_scores(features, labels, select)[~select].cpu().numpy()))


def readout_interference(scores: torch.Tensor, labels: torch.Tensor, off: torch.Tensor, on: torch.Tensor
                         ) -> tuple[float, float, float]:
    """How a second feature's presence bears on a readout (simultaneous interference, open problem
    4.28): (AUROC of ``scores`` for ``labels`` on the ``off`` rows, the same on the ``on`` rows,
    shift: the mean score of the negatives on ``on`` minus that on ``off``, in units of the
    positives' minus negatives' mean on ``off``). scores [n], labels, off, on [n] bool."""
    def auroc(rows: torch.Tensor) -> float:
        return float(roc_auc_score(labels[rows].cpu().numpy(), scores[rows].cpu().numpy()))

    negative_off, negative_on = scores[off & ~labels].mean(), scores[on & ~labels].mean()
    gap = scores[off & labels].mean() - negative_off
    return auroc(off), auroc(on), float((negative_on - negative_off) / gap)


def mean_difference_ranking(acts: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[d] neuron indices, largest first, by |mean over positives - mean over negatives| / std
    (acts [n, d], labels [n] bool): Gurnee et al. 2023's first-stage heuristic for sparse probes,
    on standardised activations."""
    x = acts.double()
    gap = (x[labels].mean(0) - x[~labels].mean(0)).abs() / x.std(0).clamp_min(1e-12)
    return gap.argsort(descending=True)


def sparse_probe_neurons(acts: torch.Tensor, labels: torch.Tensor, select: torch.Tensor, target: float,
                         ks: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)) -> tuple[int | None, dict[int, float]]:
    """(the smallest k in ``ks`` whose k-sparse probe reaches held-out AUROC ``target``, or None;
    {k: held-out AUROC} up to it): neurons ranked by ``mean_difference_ranking`` on the ``select``
    rows, a ``probe_auroc`` on the top k (acts [n, d_mlp], labels and select [n] bool)."""
    ranking = mean_difference_ranking(acts[select], labels[select])
    scores = {}
    for k in (k for k in ks if k <= acts.shape[1]):
        scores[k] = probe_auroc(acts[:, ranking[:k]], labels, select)
        if scores[k] >= target:
            return k, scores
    return None, scores


def cross_validated_accuracy(features: torch.Tensor, labels: torch.Tensor, folds: int = 5, seed: int = 0) -> float:
    """Mean held-out accuracy of a logistic-regression probe ``features`` [n, d] -> ``labels``
    [n] over stratified ``folds`` (each class needs >= ``folds`` rows)."""
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(_probe(), features.double().cpu().numpy(), labels.cpu().numpy(), cv=splits).mean())


def softmax_probes(features: torch.Tensor, labels: torch.Tensor, n_classes: int, groups: torch.Tensor, seed: int,
                   test_size: float = 0.3, steps: int = 150, lr: float = 0.1) -> torch.Tensor:
    """``[k]`` held-out accuracy of ``k`` linear softmax probes fitted jointly (full-batch Adam,
    as Nanda 2023's Othello probes) on ``features`` [n, d] -> ``labels`` [n, k] in
    0 .. ``n_classes`` - 1 (-1: no label, left out). The split is by ``groups`` [n] (e.g. the
    game of each position: correlated rows stay on one side), drawn with ``seed``; features are
    standardised by the train split's statistics."""
    ids = groups.unique()
    order = ids[torch.randperm(len(ids), generator=torch.Generator().manual_seed(seed))]
    test = torch.isin(groups, order[: int(round(test_size * len(ids)))])
    x = features.float()
    mean, std = x[~test].mean(0), x[~test].std(0) + 1e-6
    x = (x - mean) / std
    k = labels.shape[1]
    weights = torch.zeros(x.shape[1], k * n_classes, requires_grad=True)
    bias = torch.zeros(k * n_classes, requires_grad=True)
    optimiser = torch.optim.Adam([weights, bias], lr=lr)

    def logits(rows: torch.Tensor) -> torch.Tensor:
        return (x[rows] @ weights + bias).view(-1, k, n_classes)

    for _ in range(steps):
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits(~test).transpose(1, 2), labels[~test], ignore_index=-1)
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        right = (logits(test).argmax(-1) == labels[test]).float()
    known = (labels[test] >= 0).float()
    return (right * known).sum(0) / known.sum(0).clamp(min=1)
