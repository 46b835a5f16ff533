"""In-context regression (open problems 3.13 / 3.14; Garg et al. 2022, "What can transformers
learn in-context? A case study of simple function classes"): a prompt is ``x_1 y_1 .. x_n y_n``
with ``y_i = f(x_i)`` for a function ``f`` drawn per prompt, and the model predicts every
``y_i`` from the pairs before it and ``x_i`` (``k = i - 1`` in-context examples).

Deviation from Garg et al. (whose transformer reads real vectors through a linear read-in and
outputs a real number): our toy transformers read tokens, so the problem is discretised. Each
coordinate of ``x`` is an integer token in ``-X_RANGE .. X_RANGE``, ``y`` an integer token in
``-Y_RANGE .. Y_RANGE`` (one shared vocabulary of integers), and the model's prediction of ``y``
is the mean of its softmax over those integers (the squared-error-optimal read-out of a
classifier). Function classes (``CLASSES``):

- ``linear``: ``y = w . x`` with ``w`` uniform in ``{-W_RANGE .. W_RANGE}^D`` (Garg: ``w ~ N(0, I_d)``
  with ``d = 20``; ours has ``D = 1``, so one example with ``x != 0`` determines ``w``);
- ``stump``: a depth-1 decision tree, ``y = a if x_j > 0 else b`` with the feature ``j`` and
  the leaves ``a, b`` uniform (Garg's decision trees have depth 4 and real leaves).
"""

from __future__ import annotations

from typing import Callable

import torch

from harness.interp.activation_cache import clean_logits
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig

D = 1  # input dimension (a 2-d version did not learn in context within 1500 steps)
X_RANGE = 2  # x coordinates in -2 .. 2
W_RANGE = 2  # linear weights in -2 .. 2
Y_RANGE = D * X_RANGE * W_RANGE  # the largest |w . x|
N_PAIRS = 8  # (x, y) pairs per prompt: predictions with k = 0 .. N_PAIRS - 1 examples
PAIR = D + 1  # tokens per pair
VOCAB = 2 * Y_RANGE + 1  # token t is the integer t - Y_RANGE
VALUES = torch.arange(VOCAB) - Y_RANGE  # [VOCAB] the integer of each token
# position predicting y_i (the last coordinate of x_i), i = 0 .. N_PAIRS - 1
Y_QUERIES = torch.arange(N_PAIRS) * PAIR + D - 1


def linear_functions(gen: torch.Generator, xs: torch.Tensor) -> torch.Tensor:
    """``xs`` ``[batch, n, D]`` -> ``[batch, n]`` ``w . x`` with one ``w`` in ``{-W_RANGE .. W_RANGE}^D``
    per prompt."""
    w = torch.randint(-W_RANGE, W_RANGE + 1, (xs.shape[0], D, 1), generator=gen)
    return (xs @ w).squeeze(-1)


def stump_functions(gen: torch.Generator, xs: torch.Tensor) -> torch.Tensor:
    """``xs`` ``[batch, n, D]`` -> ``[batch, n]`` ``a if x_j > 0 else b``, with ``j`` and the leaves
    ``a, b`` in ``-Y_RANGE .. Y_RANGE`` drawn per prompt."""
    batch = xs.shape[0]
    feature = torch.randint(0, D, (batch, 1, 1), generator=gen)
    leaves = torch.randint(-Y_RANGE, Y_RANGE + 1, (batch, 2, 1), generator=gen)
    above = xs.gather(2, feature.expand(-1, xs.shape[1], 1)) > 0
    return torch.where(above, leaves[:, :1], leaves[:, 1:]).squeeze(-1)


CLASSES: dict[str, Callable[[torch.Generator, torch.Tensor], torch.Tensor]] = {
    "linear": linear_functions, "stump": stump_functions}


def regression_prompts(function_class: str, gen: torch.Generator, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(xs [batch, N_PAIRS, D], ys [batch, N_PAIRS])`` integers: uniform ``x`` and one function
    of ``function_class`` per prompt."""
    xs = torch.randint(-X_RANGE, X_RANGE + 1, (batch, N_PAIRS, D), generator=gen)
    return xs, CLASSES[function_class](gen, xs)


def prompt_tokens(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """``[batch, N_PAIRS * PAIR]`` tokens ``x_1 y_1 .. x_n y_n`` of integer ``xs``, ``ys``."""
    return torch.cat([xs, ys[..., None]], dim=2).flatten(1) + Y_RANGE


def regression_batch(function_class: str, gen: torch.Generator, batch: int):
    """``(tokens, loss_mask)``: loss on the prediction of every ``y_i`` (the next tokens are the targets)."""
    xs, ys = regression_prompts(function_class, gen, batch)
    tokens = prompt_tokens(xs, ys)
    mask = torch.zeros(batch, tokens.shape[1] - 1, dtype=torch.bool)
    mask[:, Y_QUERIES] = True
    return tokens, mask


def predictions(logits: torch.Tensor) -> torch.Tensor:
    """``[batch, seq, VOCAB]`` logits -> ``[batch, N_PAIRS]`` the model's real-valued prediction
    of each ``y_i``: the mean integer under its softmax."""
    return logits[:, Y_QUERIES].float().softmax(-1) @ VALUES.float()


def least_squares(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """``[batch, N_PAIRS]`` prediction of ``y_i`` by the minimum-norm least-squares fit of the
    pairs before it (0 with none), as Garg et al.'s baseline."""
    x, y = xs.double(), ys.double()
    out = torch.zeros_like(y)
    for i in range(1, N_PAIRS):
        w = torch.linalg.pinv(x[:, :i]) @ y[:, :i, None]  # [batch, D, 1]
        out[:, i] = (x[:, i:i + 1] @ w)[:, 0, 0]
    return out


def nearest_neighbours(xs: torch.Tensor, ys: torch.Tensor, k: int = 3) -> torch.Tensor:
    """``[batch, N_PAIRS]``: the mean ``y`` of the ``k`` (fewer while there are fewer) earlier
    ``x`` nearest ``x_i`` (Garg et al.'s 3-NN baseline; ties go to the earliest); 0 with none."""
    x, y = xs.double(), ys.double()
    out = torch.zeros_like(y)
    for i in range(1, N_PAIRS):
        nearest = torch.cdist(x[:, i:i + 1], x[:, :i])[:, 0].topk(min(k, i), largest=False, sorted=True).indices
        out[:, i] = y[:, :i].gather(1, nearest).mean(1)
    return out


X_SECOND_MOMENT = sum(v * v for v in range(-X_RANGE, X_RANGE + 1)) / (2 * X_RANGE + 1)  # E[x_d^2]


def averaging(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """``[batch, N_PAIRS]``: ``x_i . w`` with ``w = mean_j y_j x_j / E[x_d^2]`` over the earlier
    pairs (Garg et al.'s averaging baseline, which is unbiased for their ``x ~ N(0, I)``; our
    uniform integer ``x`` has ``E[x_d^2] = 2``, hence the division; 0 with none)."""
    x, y = xs.double(), ys.double()
    w = (x * y[..., None]).cumsum(1) / torch.arange(1, N_PAIRS + 1)[:, None] / X_SECOND_MOMENT  # [batch, n, D]
    shifted = torch.cat([torch.zeros_like(w[:, :1]), w[:, :-1]], dim=1)
    return (x * shifted).sum(-1)


ESTIMATORS = {"least squares": least_squares, "3-nearest neighbours": nearest_neighbours, "averaging": averaging}


def regression_errors(model, function_class: str, seed: int, batch: int = 512) -> dict[str, torch.Tensor]:
    """``{"model" and each of ``ESTIMATORS``: [N_PAIRS] mean squared error of the prediction of
    y_i from k = i examples}`` on ``batch`` prompts of ``function_class`` drawn with ``seed``."""
    xs, ys = regression_prompts(function_class, torch.Generator().manual_seed(seed), batch)
    guesses = {"model": predictions(clean_logits(model, prompt_tokens(xs, ys)).cpu()),
               **{name: estimate(xs, ys) for name, estimate in ESTIMATORS.items()}}
    return {name: ((guess.double() - ys) ** 2).mean(0) for name, guess in guesses.items()}


def regression_model(function_class: str) -> str:
    return f"icl-{function_class}-2l"


ICL_STEPS = 500  # the training loss is flat from step 250 on (linear 0.216 -> 0.207 at 500, stump 0.55 throughout)
for _class in CLASSES:
    register_task(f"icl-{_class}")(lambda gen, batch, c=_class: regression_batch(c, gen, batch))
    register_model(ToyTransformerSpec(
        regression_model(_class),
        f"2-layer transformer (d_model 64, 4 heads, GELU MLP, LN) predicting y_i from {N_PAIRS} in-context "
        f"({D}-d integer x, y) pairs of one {_class} function per prompt, {ICL_STEPS} steps of 64 (cosine)",
        lm_arch(2, N_PAIRS * PAIR, VOCAB), f"icl-{_class}",
        TrainConfig(steps=ICL_STEPS, batch_size=64, lr=1e-3, warmup_steps=100, log_every=250, lr_schedule="cosine"),
    ))
