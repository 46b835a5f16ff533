"""Modular arithmetic (seed problems 3.3, 3.4, 3.23, 5.3-5.6): the problems, their task and
dataset registrations, the transformers and MLPs trained on them, and the measurements'
adapters to each model kind (logits, embedding, neuron activations, grokking trajectory)."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import torch
import torch.nn.functional as F
from transformer_lens.model_bridge import TransformerBridge

from harness.interp.fourier import frequencies_above, frequency_norms, top_frequency_fraction
from harness.interp.grokking import first_step, progress_measures
from harness.interp.hooks import NEURON_HOOK
from harness.models.mlp import MLPSpec, OneHiddenLayerMLP, register_dataset, weight_norm
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec
from harness.models.training import TrainConfig


# p = 53, a 50% split, d_model 64, d_mlp 256 so that a model groks in minutes on one core.
MOD_P = 53
MOD_TRAIN_FRACTION = 0.5
MOD_SPLIT_SEED = 0  # the same train/test split for every model seed


@dataclasses.dataclass(frozen=True)
class ModularProblem:
    """``c = (a op b) mod p`` on the full grid of ``p**2`` pairs, row ``a * p + b``."""

    p: int
    op: str  # "add" or "sub"
    train_fraction: float = MOD_TRAIN_FRACTION

    @functools.cached_property
    def pairs(self) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = torch.meshgrid(torch.arange(self.p), torch.arange(self.p), indexing="ij")
        return a.flatten(), b.flatten()

    @functools.cached_property
    def labels(self) -> torch.Tensor:
        """``[p**2]`` the answer ``c``; also the combined input of the Fourier analysis."""
        a, b = self.pairs
        return (a + b) % self.p if self.op == "add" else (a - b) % self.p

    @functools.cached_property
    def train_mask(self) -> torch.Tensor:
        """``[p**2]`` bool: the fixed training split (``train_fraction`` of the pairs)."""
        order = torch.randperm(self.p**2, generator=torch.Generator().manual_seed(MOD_SPLIT_SEED))
        mask = torch.zeros(self.p**2, dtype=torch.bool)
        mask[order[: int(self.train_fraction * self.p**2)]] = True
        return mask

    @functools.cached_property
    def tokens(self) -> torch.Tensor:
        """``[p**2, 4]`` transformer input ``a b = c`` (token ``p`` is ``=``)."""
        a, b = self.pairs
        return torch.stack([a, b, torch.full_like(a, self.p), self.labels], dim=1)

    @functools.cached_property
    def one_hot(self) -> torch.Tensor:
        """``[p**2, 2p]`` MLP input: one-hot ``a`` then one-hot ``b``."""
        a, b = self.pairs
        return torch.cat([F.one_hot(a, self.p), F.one_hot(b, self.p)], dim=1).float()


MOD_PROBLEMS = {op: ModularProblem(MOD_P, op) for op in ("add", "sub")}
# Nanda et al. 2023's own setting (section 3): p = 113, 30% of the pairs for training
PAPER_PROBLEM = ModularProblem(113, "add", train_fraction=0.3)


def task_name(problem: ModularProblem) -> str:
    split = "" if problem.train_fraction == MOD_TRAIN_FRACTION else f"-f{round(100 * problem.train_fraction)}"
    return f"mod-{problem.op}-p{problem.p}{split}"


def register_modular(problem: ModularProblem) -> None:
    @register_task(task_name(problem))
    def full_training_set(generator: torch.Generator, batch: int):
        """Every training pair, every step (full batch; ``batch`` is not used)."""
        tokens = problem.tokens[problem.train_mask]
        loss_mask = torch.zeros(tokens.shape[0], 3, dtype=torch.bool)
        loss_mask[:, 2] = True  # only the prediction of c, at the "=" position
        return tokens, loss_mask

    @register_dataset(f"{task_name(problem)}-one-hot")
    def one_hot_dataset():
        return problem.one_hot, problem.labels, problem.train_mask


for _problem in (*MOD_PROBLEMS.values(), PAPER_PROBLEM):
    register_modular(_problem)

# Nanda et al. 2023 (section 3): AdamW, lr 1e-3, weight decay 1, betas (0.9, 0.98), full batch;
# the loss in float64, as in the authors' code.
GROKKING_TRAIN = TrainConfig(
    steps=4000, lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98), warmup_steps=10, loss_dtype="float64",
    checkpoint_every=100, log_every=500,
)


def modular_transformer(op: str, act: str) -> ToyTransformerSpec:
    problem = MOD_PROBLEMS[op]
    return ToyTransformerSpec(
        name=f"mod-{op}-transformer-{act}",
        description=(
            f"1-layer transformer (d_model 64, 4 heads of 16, d_mlp 256 {act.upper()}, no LayerNorm) "
            f"on (a {'+' if op == 'add' else '-'} b) mod {problem.p}, full batch on a fixed "
            f"{MOD_TRAIN_FRACTION:.0%} split, AdamW lr 1e-3 wd 1 betas (0.9, 0.98), "
            f"{GROKKING_TRAIN.steps} steps (Nanda et al. 2023 shrunk from p = 113)"
        ),
        arch=dict(
            n_layers=1, d_model=64, n_heads=4, d_head=16, d_mlp=256, n_ctx=4,
            d_vocab=problem.p + 1, act_fn=act, attn_only=False, normalization_type=None,
            positional_embedding_type="standard",
        ),
        task=task_name(problem),
        train=GROKKING_TRAIN,
    )


MLP_GROKKING_TRAIN = dataclasses.replace(GROKKING_TRAIN, steps=4000, lr=3e-3)


def modular_mlp(op: str) -> MLPSpec:
    problem = MOD_PROBLEMS[op]
    return MLPSpec(
        name=f"mod-{op}-mlp",
        description=(
            f"one-hidden-layer MLP (one-hot a, one-hot b -> 256 ReLU -> {problem.p}) on "
            f"(a {'+' if op == 'add' else '-'} b) mod {problem.p}, full batch on a fixed "
            f"{MOD_TRAIN_FRACTION:.0%} split, AdamW lr 3e-3 wd 1 betas (0.9, 0.98), "
            f"{MLP_GROKKING_TRAIN.steps} steps"
        ),
        dataset=f"{task_name(problem)}-one-hot",
        d_in=2 * problem.p, d_hidden=256, d_out=problem.p, act="relu",
        train=MLP_GROKKING_TRAIN,
    )


# The paper's run (section 3 and its code): d_model 128, 4 heads of 32, d_mlp 512 ReLU, no
# LayerNorm, 40k full-batch steps; checkpoints every 500 steps and 20 log-spaced (the early
# memorisation) instead of the authors' every 100, to keep the disk cache small.
PAPER_TRAIN = dataclasses.replace(GROKKING_TRAIN, steps=40_000, checkpoint_every=500, log_checkpoints=20,
                                  log_every=2000, device="best")
PAPER_TRANSFORMER = ToyTransformerSpec(
    name="mod-add-p113-transformer",
    description=(
        "Nanda et al. 2023's own setting: 1-layer transformer (d_model 128, 4 heads of 32, d_mlp 512 ReLU, "
        "no LayerNorm) on (a + b) mod 113, full batch on a fixed 30% split, AdamW lr 1e-3 wd 1 betas "
        "(0.9, 0.98), 40k steps, float64 loss (replication tier: hours on CPU)"
    ),
    arch=dict(
        n_layers=1, d_model=128, n_heads=4, d_head=32, d_mlp=512, n_ctx=4, d_vocab=PAPER_PROBLEM.p + 1,
        act_fn="relu", attn_only=False, normalization_type=None, positional_embedding_type="standard",
    ),
    task=task_name(PAPER_PROBLEM),
    train=PAPER_TRAIN,
)

PROBLEM_OF = {}  # model name -> the ModularProblem it is trained on
for _spec, _problem in (
    (modular_transformer("add", "relu"), MOD_PROBLEMS["add"]),
    (modular_transformer("add", "gelu"), MOD_PROBLEMS["add"]),
    (modular_mlp("add"), MOD_PROBLEMS["add"]),
    (modular_mlp("sub"), MOD_PROBLEMS["sub"]),
    (PAPER_TRANSFORMER, PAPER_PROBLEM),
):
    register_model(_spec)
    PROBLEM_OF[_spec.name] = _problem


def modular_problem(model_name: str) -> ModularProblem:
    return PROBLEM_OF[model_name]


# The measurements read a modular model through these three views, one variant per model kind.
@functools.singledispatch
def modular_logits(model: TransformerBridge, problem: ModularProblem) -> torch.Tensor:
    """``[p**2, p]`` logits for the answer on every input pair (transformer: at the ``=``)."""
    with torch.no_grad():
        return model(problem.tokens[:, :3])[:, -1, : problem.p]


@modular_logits.register
def _(model: OneHiddenLayerMLP, problem: ModularProblem) -> torch.Tensor:
    with torch.no_grad():
        return model(problem.one_hot)


@functools.singledispatch
def modular_embedding(model: TransformerBridge, problem: ModularProblem) -> torch.Tensor:
    """``[p, d]``: the embedding of the first operand (MLP: its rows of ``W_in``)."""
    with torch.no_grad():
        return model.W_E[: problem.p]


@modular_embedding.register
def _(model: OneHiddenLayerMLP, problem: ModularProblem) -> torch.Tensor:
    with torch.no_grad():
        return model.fc_in.weight[:, : problem.p].T


@functools.singledispatch
def modular_neuron_acts(model: TransformerBridge, problem: ModularProblem) -> torch.Tensor:
    """``[p, p, n_neurons]``: hidden-neuron activations on pair ``(a, b)`` (transformer: MLP
    neurons at the ``=`` position)."""
    hook = NEURON_HOOK.format(layer=0)
    with torch.no_grad():
        _, cache = model.run_with_cache(problem.tokens[:, :3], names_filter=hook)
    return cache[hook][:, -1].reshape(problem.p, problem.p, -1)


@modular_neuron_acts.register
def _(model: OneHiddenLayerMLP, problem: ModularProblem) -> torch.Tensor:
    with torch.no_grad():
        return model.hidden(problem.one_hot).reshape(problem.p, problem.p, -1)


# Our own threshold, set before measuring (the count used to be fixed at 6): a key frequency
# carries more than 10% of the embedding's Fourier norm (so there are at most 9). Nanda et al.
# 2023 (section 4.1) find 5 key frequencies for p = 113.
KEY_FREQUENCY_SHARE = 0.1
# 5.4's signal: the share of the embedding's Fourier norm in a checkpoint's own top 6 frequencies
SIGNAL_TOP_K = 6


def modular_key_frequencies(model, problem: ModularProblem) -> list[int]:
    """The model's key frequencies: those carrying > ``KEY_FREQUENCY_SHARE`` of its embedding's
    Fourier norm (1-based, sorted; may be empty)."""
    return frequencies_above(frequency_norms(modular_embedding(model, problem)), KEY_FREQUENCY_SHARE)


def grokking_trajectory(checkpoints: dict[int, Any], problem: ModularProblem) -> dict[str, list]:
    """Progress measures at every checkpoint (``{step: model}``) of a modular model's training run:
    ``steps``, ``measures`` (``harness.interp.grokking`` with the final model's key
    frequencies), ``weight norm``, ``top share`` (share of the embedding's Fourier norm in that
    checkpoint's own top ``SIGNAL_TOP_K`` frequencies), ``frequency norms`` (``[n_freq]`` each),
    ``logits`` (``[p**2 * p]`` flattened, for PCA) and the final key frequencies."""
    final_key = modular_key_frequencies(list(checkpoints.values())[-1], problem)
    out: dict[str, list] = {"steps": list(checkpoints), "final key frequencies": final_key}
    for model in checkpoints.values():
        logits = modular_logits(model, problem)
        norms = frequency_norms(modular_embedding(model, problem))
        params = {name: value.detach() for name, value in model.named_parameters()}
        for key, value in (
            ("measures", progress_measures(logits, problem.labels, problem.train_mask, problem.p, final_key)),
            ("weight norm", weight_norm(params)),
            ("top share", top_frequency_fraction(norms, SIGNAL_TOP_K)),
            ("frequency norms", norms),
            ("logits", logits.flatten()),
        ):
            out.setdefault(key, []).append(value)
    return out


def event_steps(trajectory: dict[str, list]) -> tuple[int | None, int | None]:
    """(memorisation step: train accuracy 100%, grokking step: test accuracy > 99%) of a
    ``grokking_trajectory``; None for an event that did not happen."""
    steps, measures = trajectory["steps"], trajectory["measures"]
    return (first_step(steps, [m["train accuracy"] for m in measures], ">", 0.999),
            first_step(steps, [m["test accuracy"] for m in measures], ">", 0.99))


PHASES = ("memorisation", "circuit formation", "cleanup")


def training_phases(trajectory: dict[str, list]) -> list[int] | None:
    """Phase of each checkpoint up to the grokking step (index into ``PHASES``), after Nanda et
    al. 2023 section 5.2: memorisation up to the memorisation step (train accuracy 100%),
    circuit formation after it while the test loss stays high, cleanup from the first checkpoint
    after the test-loss peak (the peak after memorisation) whose test loss is below half that peak
    (our operational boundary for "test loss falls sharply") to the grokking step. None if the
    model did not memorise and grok."""
    memorised, grokked = event_steps(trajectory)
    if memorised is None or grokked is None:
        return None
    steps = [s for s in trajectory["steps"] if s <= grokked]
    test = dict(zip(trajectory["steps"], (m["test loss"] for m in trajectory["measures"])))
    peak_step = max((s for s in steps if s >= memorised), key=test.__getitem__)
    cleanup = next((s for s in steps if s > peak_step and test[s] < test[peak_step] / 2), grokked + 1)
    return [0 if s <= memorised else 1 if s < cleanup else 2 for s in steps]
