"""Training dynamics (seed section 5): curves over training, and how sudden their changes are
(``harness.interp.phase``). ``loss_curve`` is the training loss a model logged; ``formation``
follows an attention-only model's induction circuit over its training checkpoints."""

import functools

import torch

from catalog.datasets import REPEAT_HALF_LEN, repeated_random_tokens
from harness.claims.shared import per_target
from harness.interp.composition import composition_scores
from harness.interp.heads import induction_scores, previous_token_scores, top_head


@per_target
def loss_curve(model):
    """(steps, losses) of a multi-component toy model's training run (``FactoredRun.losses``)."""
    return list(model.losses), list(model.losses.values())


class InductionFormation:
    """An attention-only model's induction circuit over its checkpoints ``{step: model}``, on the
    induction claims' held-out repeated sequences (64 x (BOS + 20 + 20 tokens), data seed 1000).
    The circuit is the final model's: its top layer-0 previous-token head and top layer-1
    induction head."""

    def __init__(self, model, checkpoints):
        self.final, self.checkpoints = model, checkpoints
        self.steps = list(checkpoints)
        self.tokens = repeated_random_tokens(64, REPEAT_HALF_LEN, model.cfg.d_vocab, seed=1000)

    @functools.cached_property
    def induction(self) -> list[float]:
        """Max layer-1 induction score at each checkpoint."""
        return [float(induction_scores(m, self.tokens)[1].max()) for m in self.checkpoints.values()]

    @functools.cached_property
    def circuit(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(previous-token head, induction head) of the final model."""
        return (top_head(previous_token_scores(self.final, self.tokens), layer=0),
                top_head(induction_scores(self.final, self.tokens), layer=1))

    @functools.cached_property
    def k_composition(self) -> torch.Tensor:
        """``[checkpoints, n_heads, n_heads]``: K-composition of each layer-0 head into each layer-1
        head (Elhage et al. 2021) at each checkpoint."""
        return torch.stack([composition_scores(m, "K")[0, :, 1, :] for m in self.checkpoints.values()])

    @functools.cached_property
    def circuit_k_composition(self) -> list[float]:
        (_, previous), (_, induction) = self.circuit
        return self.k_composition[:, previous, induction].tolist()


@per_target
def formation(model, checkpoints):
    return InductionFormation(model, checkpoints)
