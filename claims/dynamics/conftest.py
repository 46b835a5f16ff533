"""Training dynamics (seed section 5): curves over training, and how sudden their changes are
(``harness.interp.phase``). ``loss_curve`` is the training loss a model logged; ``formation``
follows an attention-only model's induction circuit over its training checkpoints,
``toy_ioi_formation`` the toy IOI circuit, ``sorting_by_length`` sorting accuracy per length."""

import functools
from pathlib import Path

import numpy as np
import pytest
import torch

from catalog.datasets import REPEAT_HALF_LEN, repeated_random_tokens
from catalog.fine_tuning import COPIED, SHIFTED_COPY_FT, copy_eval_sets
from catalog.modular import modular_problem
from catalog.modular_variants import held_out_accuracy
from catalog.sequences import SORT_MAX_LEN
from catalog.toy_ioi import IOI_S2_POS, IOI_SEQ, ioi_io_targets, ioi_s1_targets, ioi_s2_targets
from catalog.translation import soft_induction_targets
from harness.claims.shared import mark_slow_beyond, per_target
from harness.interp.ablation import each_head_sites
from harness.interp.activation_cache import clean_logits
from harness.interp.accuracy import answer_log_probs, correct_predictions, sequence_accuracy, task_accuracy, token_losses
from harness.interp.composition import composition_scores
from harness.interp.dla import logit_attribution
from harness.interp.heads import DETECTOR_THRESHOLD, head_scores, induction_scores, previous_token_scores, top_head
from harness.interp.metrics import fraction_recovered, per_token_loss
from harness.interp.patching import patch_from_model
from harness.interp.phase import leader_at_crossing
from harness.models.memory_cache import load_checkpoints, variant_checkpoints
from harness.models.metric_cache import over_checkpoints
from harness.models.mlp import neuron_ablation_flips, neuron_slices
from harness.models.tasks import task_batch
from harness.models.toy_transformer import head_slices


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
        return over_checkpoints(self.checkpoints, "max layer-1 induction score",
                                lambda m: float(induction_scores(m, self.tokens)[1].max()), self.tokens)

    @functools.cached_property
    def previous_token(self) -> list[float]:
        """Max layer-0 previous-token score at each checkpoint."""
        return over_checkpoints(self.checkpoints, "max layer-0 previous-token score",
                                lambda m: float(previous_token_scores(m, self.tokens)[0].max()), self.tokens)

    @functools.cached_property
    def token_losses(self) -> torch.Tensor:
        """``[checkpoints, 64 * 40]``: each checkpoint's loss on every next-token prediction of
        the repeated sequences (Olsson et al. 2022's per-token losses)."""
        return torch.stack(over_checkpoints(self.checkpoints, "per-token loss",
                                            lambda m: per_token_loss(clean_logits(m, self.tokens), self.tokens).flatten(), self.tokens))

    @functools.cached_property
    def circuit(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(previous-token head, induction head) of the final model."""
        return (top_head(previous_token_scores(self.final, self.tokens), layer=0),
                top_head(induction_scores(self.final, self.tokens), layer=1))

    @functools.cached_property
    def k_composition(self) -> torch.Tensor:
        """``[checkpoints, n_heads, n_heads]``: K-composition of each layer-0 head into each layer-1
        head (Elhage et al. 2021) at each checkpoint."""
        return torch.stack(over_checkpoints(self.checkpoints, "K-composition of layer 0 into layer 1",
                                            lambda m: composition_scores(m, "K")[0, :, 1, :]))

    @functools.cached_property
    def circuit_k_composition(self) -> list[float]:
        (_, previous), (_, induction) = self.circuit
        return self.k_composition[:, previous, induction].tolist()


@per_target
def formation(model, checkpoints):
    return InductionFormation(model, checkpoints)


@pytest.fixture
def formation_at_seed(model_at_seed, target):
    """``formation_at_seed(name)``: the ``InductionFormation`` of another attention-only model
    (another depth) at the claim's seed."""
    return lambda name: InductionFormation(model_at_seed(name), load_checkpoints(name, target.seed))


# seeds 1 and 2 of these are in the slow tier, as in claims/algorithmic: toy IOI and sorting train for minutes;
# the fine-tuning and translation models' seed 0 runs by default (a fine-tuning run of 17 s, a translation model
# of 25 s); mod-add-mlp here is 5.11's, whose later seeds need two more trainings each
SLOW_SEEDS_OF = {"toy-ioi-2l", "toy-ioi-3l", "sort-variable-2l", SHIFTED_COPY_FT.name, "translate-attn-2l", "mod-add-mlp"}


def pytest_collection_modifyitems(config, items):
    mark_slow_beyond(items, Path(__file__).parent, {0}, SLOW_SEEDS_OF)


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
        return over_checkpoints(self.checkpoints, "task accuracy", lambda m: task_accuracy(m, self.batch), self.batch)

    @functools.cached_property
    def heads(self) -> dict[str, tuple[int, int]]:
        return {name: top_head(head_scores(self.final, self.batch[0], targets)) for name, targets in self.CATEGORIES.items()}

    @functools.cached_property
    def attention(self) -> dict[str, list[float]]:
        """{category: its head's attention to its target at each checkpoint}."""
        def scores(model):
            return {name: float(head_scores(model, self.batch[0], targets)[self.heads[name]])
                    for name, targets in self.CATEGORIES.items()}
        per_step = over_checkpoints(self.checkpoints, "toy IOI circuit heads' attention", scores, self.batch[0], self.heads)
        return {name: [s[name] for s in per_step] for name in self.CATEGORIES}

    @functools.cached_property
    def name_mover_dla(self) -> list[float]:
        """Mean direct logit attribution of the final name mover to the IO - S logit difference."""
        tokens = self.batch[0]
        layer, head = self.heads["name mover (TO -> IO)"]
        return over_checkpoints(self.checkpoints, "name mover IO - S direct logit attribution", lambda m: float(logit_attribution(
            m, tokens, tokens[:, -1], tokens[:, IOI_S2_POS], pos=IOI_SEQ - 2).heads[layer, head].mean()), tokens, (layer, head))


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
    per_step = over_checkpoints(checkpoints, "sorting accuracy by length", by_length, tokens, mask, targets)
    return list(checkpoints), {n: [s[n] for s in per_step] for n in range(2, SORT_MAX_LEN + 1)}


# --- 5.15-5.21 (a toy model of fine-tuning) and 5.30 (soft induction) ---



class FineTuning:
    """A fine-tuned model (``toy-attn-2l-ft-shifted``) against the model it started from
    (``toy-attn-2l`` at the same seed), on 256 held-out repeated random sequences per task
    (``catalog.fine_tuning.copy_eval_sets``, data seed 1000). The checkpoints are the fine-tuning
    run's, with the old model as step 0."""

    def __init__(self, model, old, checkpoints):
        self.new, self.old = model, old
        self.checkpoints = {0: old, **checkpoints}
        self.steps = list(self.checkpoints)
        self.sets = copy_eval_sets()

    def copy_accuracy(self, model, task: str, targets_of: str | None = None) -> float:
        """Accuracy on the predictable repeated tokens of ``task``'s sequences, against the
        targets of ``targets_of`` (default: the same task)."""
        tokens, _ = self.sets[task]
        return float(correct_predictions(model, tokens, self.sets[targets_of or task][1])[:, COPIED].float().mean())

    @functools.cached_property
    def accuracy(self) -> dict[str, list[float]]:
        """{task: copy accuracy at each checkpoint}."""
        return {task: over_checkpoints(self.checkpoints, "copy accuracy", lambda m, t=task: self.copy_accuracy(m, t), self.sets[task])
                for task in self.sets}

    @functools.cached_property
    def token_gain(self) -> torch.Tensor:
        """``[batch, seq - 1]`` task-2 loss of the old model minus that of the fine-tuned one."""
        tokens, targets = self.sets["task 2"]
        return token_losses(self.old, tokens, targets) - token_losses(self.new, tokens, targets)

    @functools.cached_property
    def head_patching(self) -> torch.Tensor:
        """``[n_layers, n_heads]``: share of the task-2 loss gain on the repeated tokens recovered
        by patching one head's output (hook_z, every position) from the fine-tuned model into
        the old one (1: the fine-tuned model's loss, 0: the old model's)."""
        tokens, targets = self.sets["task 2"]
        cfg = self.old.cfg

        def loss(logits):
            return torch.nn.functional.cross_entropy(logits[:, COPIED].flatten(0, 1).float(),
                                                     targets[:, COPIED].flatten().to(logits.device))
        with torch.inference_mode():
            old_loss, new_loss = loss(self.old(tokens)), loss(self.new(tokens))
        patched = patch_from_model(self.old, self.new, tokens, each_head_sites(cfg.n_layers, cfg.n_heads), loss)
        return fraction_recovered(patched, new_loss, old_loss).reshape(cfg.n_layers, cfg.n_heads)


@per_target
def fine_tuning(model, model_at_seed, checkpoints):
    return FineTuning(model, model_at_seed(SHIFTED_COPY_FT.parent.name), checkpoints)


@per_target
def soft_induction(model, checkpoints):
    """(steps, [checkpoints, n_layers, n_heads] soft-induction scores: attention from each B word
    to the A word after its source, ``catalog.translation.soft_induction_targets``) of a
    translation model, on 256 fresh sentences (data seed 1000); the final model is the last row."""
    tokens = task_batch("translation", 256, 1000)[0]
    return list(checkpoints), torch.stack(over_checkpoints(checkpoints, "soft-induction scores",
                                                           lambda m: head_scores(m, tokens, soft_induction_targets), tokens))


# --- 5.9-5.11 (lottery tickets) and 5.31 (per-item phase transitions) ---------------------------
REINIT_SEED_OFFSET = 1000  # the fresh init that re-randomised parts come from: seed + this
RUN_SEED_STRIDE = 100  # other data orders / inits of a target: seed + k * this


def layer_scores(checkpoints, tokens, score, layer: int) -> np.ndarray:
    """``[checkpoints, n_heads]``: ``score(model, tokens)[layer]`` at each checkpoint."""
    return torch.stack(over_checkpoints(checkpoints, f"{score.__name__} of layer {layer}", lambda m: score(m, tokens)[layer], tokens)).cpu().numpy()


class InductionLottery:
    """Lottery tickets of ``toy-attn-2l`` (5.9, 5.10) on the induction claims' held-out repeated
    sequences. The circuit is the final model's top layer-0 previous-token head and the layer-1
    head that is first to pass the detector threshold (all four layer-1 heads end up induction
    heads; the first one is the head the run "chose"). Runs: the model's own; the same init and
    data with the circuit's two heads re-randomised, or two other heads (the next head of the
    same layer: a fixed choice that does not look at scores); the same init with other data
    orders, and other inits with the same data order (800 of the 1000 steps: the learning rate
    is constant after warmup, so a shorter run is the longer one's prefix)."""

    OTHER_RUNS_STEPS = 800

    def __init__(self, model, checkpoints, seed: int):
        self.name, self.seed, self.final, self.checkpoints = "toy-attn-2l", seed, model, checkpoints
        self.tokens = repeated_random_tokens(64, REPEAT_HALF_LEN, model.cfg.d_vocab, seed=1000)

    def induction(self, checkpoints) -> np.ndarray:
        return layer_scores(checkpoints, self.tokens, induction_scores, 1)

    def first_induction_head(self, checkpoints) -> int | None:
        return leader_at_crossing(self.induction(checkpoints), DETECTOR_THRESHOLD)

    @functools.cached_property
    def circuit(self) -> tuple[tuple[int, int], tuple[int, int]]:
        return top_head(previous_token_scores(self.final, self.tokens), layer=0), (1, self.first_induction_head(self.checkpoints))

    @functools.cached_property
    def other_heads(self) -> tuple[tuple[int, int], ...]:
        return tuple((layer, (head + 1) % self.final.cfg.n_heads) for layer, head in self.circuit)

    def reinitialised(self, heads) -> dict:
        slices = tuple(s for layer, head in heads for s in head_slices(layer, head, self.final.cfg.d_head))
        return variant_checkpoints(self.name, self.seed, reinit=slices, reinit_seed=self.seed + REINIT_SEED_OFFSET)

    @functools.cached_property
    def induction_curves(self) -> dict[str, tuple[list[int], list[float]]]:
        """{run: (steps, max layer-1 induction score)} of the own run and the two re-randomised ones."""
        runs = {"own init": self.checkpoints, "circuit heads re-randomised": self.reinitialised(self.circuit),
                "other heads re-randomised": self.reinitialised(self.other_heads)}
        return {run: (list(cps), self.induction(cps).max(axis=1).tolist()) for run, cps in runs.items()}

    def chosen_heads(self, runs: list[tuple[int, int]]) -> list[int | None]:
        """The first induction head of each (init seed, data seed) run."""
        return [self.first_induction_head(variant_checkpoints(self.name, seed, steps=self.OTHER_RUNS_STEPS, data_seed=data))
                for seed, data in runs]

    @functools.cached_property
    def other_data_orders(self) -> list[int | None]:
        """The first induction head of runs from the same init, data seeds seed + 100, + 200."""
        return self.chosen_heads([(self.seed, self.seed + k * RUN_SEED_STRIDE) for k in (1, 2)])

    @functools.cached_property
    def other_inits(self) -> list[int | None]:
        """The first induction head of runs from inits seed + 100, + 200, on this seed's data order."""
        return self.chosen_heads([(self.seed + k * RUN_SEED_STRIDE, self.seed) for k in (1, 2)])


@per_target
def induction_lottery(model, checkpoints, target):
    return InductionLottery(model, checkpoints, target.seed)


class ModularLottery:
    """Lottery tickets of ``mod-add-mlp`` (5.11): test accuracy over training of the model's own
    run and of the runs whose init has ``K`` neurons re-randomised: the final model's ``K``
    neurons whose single ablation changes the most predictions (its circuit), or ``K`` neurons
    drawn at random (seeded) from the others."""

    K = 32

    def __init__(self, model, checkpoints, seed: int):
        self.name, self.seed, self.final, self.checkpoints = "mod-add-mlp", seed, model, checkpoints
        self.problem = modular_problem(self.name)

    def test_accuracy(self, checkpoints) -> list[float]:
        return over_checkpoints(checkpoints, "held-out accuracy", lambda m: held_out_accuracy(m, self.problem), self.problem)

    @functools.cached_property
    def neurons(self) -> dict[str, list[int]]:
        order = neuron_ablation_flips(self.final, self.problem.one_hot).argsort(descending=True)
        rest = order[self.K:][torch.randperm(len(order) - self.K, generator=torch.Generator().manual_seed(0))]
        return {"circuit neurons re-randomised": order[: self.K].tolist(), "other neurons re-randomised": rest[: self.K].tolist()}

    @functools.cached_property
    def curves(self) -> dict[str, tuple[list[int], list[float]]]:
        """{run: (steps, test accuracy)}."""
        runs = {"own init": self.checkpoints} | {
            run: variant_checkpoints(self.name, self.seed, reinit_seed=self.seed + REINIT_SEED_OFFSET,
                                     reinit=tuple(s for n in neurons for s in neuron_slices(n)))
            for run, neurons in self.neurons.items()}
        return {run: (list(cps), self.test_accuracy(cps)) for run, cps in runs.items()}


@per_target
def modular_lottery(model, checkpoints, target):
    return ModularLottery(model, checkpoints, target.seed)


@per_target
def sorting_items(model, checkpoints):
    """(steps, ``[items, checkpoints]``) of a variable-length sorting model: each of 512 fresh
    lists' (seed 1000) probability of its whole sorted answer under teacher forcing, at every
    checkpoint."""
    tokens, mask, targets = task_batch("sort-variable", 512, 1000)
    return list(checkpoints), torch.stack(over_checkpoints(checkpoints, "answer probability", lambda m: answer_log_probs(m, tokens, targets, mask).exp(),
                                                           tokens, targets, mask), dim=1).cpu().numpy()


# --- 5.19 (neurons' max-activating inputs before / after fine-tuning; helper s1b) ---
# the fine-tuned MLP's later seeds train their own parent seeds (mod-add-mlp, slow above) first
SLOW_SEEDS_OF.add("mod-add-mlp-ft-sub")
