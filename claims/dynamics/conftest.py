"""Training dynamics (seed section 5): curves over training, and how sudden their changes are
(``harness.interp.phase``). ``loss_curve`` is the training loss a model logged; ``formation``
follows an attention-only model's induction circuit over its training checkpoints,
``toy_ioi_formation`` the toy IOI circuit, ``sorting_by_length`` sorting accuracy per length."""

import functools
from pathlib import Path

import torch

from catalog.datasets import REPEAT_HALF_LEN, repeated_random_tokens
from catalog.sequences import SORT_MAX_LEN
from catalog.toy_ioi import IOI_S2_POS, IOI_SEQ, ioi_io_targets, ioi_s1_targets, ioi_s2_targets
from harness.claims.shared import mark_slow_beyond, per_target
from harness.interp.accuracy import correct_predictions, sequence_accuracy, task_accuracy
from harness.interp.composition import composition_scores
from harness.interp.dla import logit_attribution
from harness.interp.heads import head_scores, induction_scores, previous_token_scores, top_head
from harness.models.tasks import task_batch


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


# toy IOI and sorting train for minutes: their seeds 1 and 2 are in the slow tier, as in claims/algorithmic
SLOW_SEEDS_OF = {"toy-ioi-2l", "toy-ioi-3l", "sort-variable-2l"}


def pytest_collection_modifyitems(config, items):
    mark_slow_beyond(items, Path(__file__).parent, {0}, SLOW_SEEDS_OF)


def over_checkpoints(checkpoints, measure) -> list:
    return [measure(m) for m in checkpoints.values()]


class ToyIOIFormation:
    """The toy IOI circuit over training, on 512 fresh prompts (seed 1000): accuracy, and for
    each head category the final model's top head (by its attention pattern) and that head's
    attention at every checkpoint; the final name mover's direct logit attribution to IO - S."""

    CATEGORIES = {"name mover (TO -> IO)": ioi_io_targets, "S-inhibition (TO -> S2)": ioi_s2_targets,
                  "duplicate token (S2 -> S1)": ioi_s1_targets}

    def __init__(self, model, checkpoints):
        self.final, self.checkpoints = model, checkpoints
        self.steps = list(checkpoints)
        self.batch = task_batch("toy-ioi", 512, 1000)

    @functools.cached_property
    def accuracy(self) -> list[float]:
        return over_checkpoints(self.checkpoints, lambda m: task_accuracy(m, self.batch))

    @functools.cached_property
    def heads(self) -> dict[str, tuple[int, int]]:
        return {name: top_head(head_scores(self.final, self.batch[0], targets)) for name, targets in self.CATEGORIES.items()}

    @functools.cached_property
    def attention(self) -> dict[str, list[float]]:
        """{category: its head's attention to its target at each checkpoint}."""
        def scores(model):
            return {name: float(head_scores(model, self.batch[0], targets)[self.heads[name]])
                    for name, targets in self.CATEGORIES.items()}
        per_step = over_checkpoints(self.checkpoints, scores)
        return {name: [s[name] for s in per_step] for name in self.CATEGORIES}

    @functools.cached_property
    def name_mover_dla(self) -> list[float]:
        """Mean direct logit attribution of the final name mover to the IO - S logit difference."""
        tokens = self.batch[0]
        layer, head = self.heads["name mover (TO -> IO)"]
        return over_checkpoints(self.checkpoints, lambda m: float(logit_attribution(
            m, tokens, tokens[:, -1], tokens[:, IOI_S2_POS], pos=IOI_SEQ - 2).heads[layer, head].mean()))


@per_target
def toy_ioi_formation(model, checkpoints):
    return ToyIOIFormation(model, checkpoints)


@per_target
def sorting_by_length(checkpoints):
    """(steps, {list length: share of lists sorted fully right at each checkpoint}) of a
    variable-length sorting model, on 512 fresh lists (seed 1000)."""
    tokens, mask, targets = task_batch("sort-variable", 512, 1000)
    lengths = mask.sum(dim=1) - 1  # the masked positions: the sorted values and END

    def by_length(model):
        ok = sequence_accuracy(correct_predictions(model, tokens, targets), mask)
        return {n: float(ok[lengths == n].float().mean()) for n in range(2, SORT_MAX_LEN + 1)}
    per_step = over_checkpoints(checkpoints, by_length)
    return list(checkpoints), {n: [s[n] for s in per_step] for n in range(2, SORT_MAX_LEN + 1)}
