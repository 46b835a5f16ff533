"""Training dynamics (seed section 5): curves over training, and how sudden their changes are
(``harness.interp.phase``). ``loss_curve`` is the training loss a model logged;
``induction_formation`` an induction score over training checkpoints."""

from catalog.datasets import REPEAT_HALF_LEN, repeated_random_tokens
from harness.claims.shared import per_target
from harness.interp.heads import induction_scores


@per_target
def loss_curve(model):
    """(steps, losses) of a multi-component toy model's training run (``FactoredRun.losses``)."""
    return list(model.losses), list(model.losses.values())


@per_target
def induction_formation(checkpoints):
    """(steps, max layer-1 induction score) over a toy attention-only model's checkpoints, on the
    induction claims' held-out repeated sequences (64 x (BOS + 20 + 20 tokens), data seed 1000)."""
    steps = list(checkpoints)
    scores = [float(induction_scores(m, repeated_random_tokens(64, REPEAT_HALF_LEN, m.cfg.d_vocab, seed=1000))[1].max())
              for m in checkpoints.values()]
    return steps, scores
