"""A toy model of fine-tuning (seed problems 5.15-5.21): the 2-layer attention-only transformer
trained on the induction task (``toy-attn-2l``, task 1) then fine-tuned on the shifted-copy task (task 2): the same
kind of sequences, marked by ``SHIFT_MARKER`` in place of ``BOS``, in which each next token of
the repeated block must be predicted plus one. The marker tells the tasks apart, so one model
could do both; fine-tuning sees task 2 only."""

from __future__ import annotations

import dataclasses

import torch

from catalog.datasets import INDUCTION_SEQ_LEN, INDUCTION_VOCAB, REPEAT_HALF_LEN, block_repeat_with_copy, repeated_random_tokens
from catalog.induction import attn_only_induction
from catalog.modular import MLP_GROKKING_TRAIN, MOD_PROBLEMS, modular_mlp, task_name
from harness.interp.metrics import repeated_halves
from harness.models.mlp import FineTunedMLPSpec
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import FineTunedSpec
from harness.models.training import TrainConfig


SHIFT_MARKER = INDUCTION_VOCAB - 1  # the first token of a task-2 sequence


def shifted(tokens: torch.Tensor) -> torch.Tensor:
    """Each non-BOS token ``t`` of ``1 .. INDUCTION_VOCAB - 1`` as the next one, wrapping to 1."""
    return tokens % (INDUCTION_VOCAB - 1) + 1


@register_task("shifted-copy")
def shifted_copy_task(gen: torch.Generator, batch: int):
    """``random_block_repeat`` sequences starting with ``SHIFT_MARKER``; the targets are the next
    token, shifted (``shifted``) where that token is in the repeated block; loss on every position."""
    tokens, in_copy = block_repeat_with_copy(gen, batch, INDUCTION_SEQ_LEN, INDUCTION_VOCAB)
    tokens[:, 0] = SHIFT_MARKER
    targets = torch.where(in_copy[:, 1:], shifted(tokens[:, 1:]), tokens[:, 1:])
    return tokens, torch.ones(batch, INDUCTION_SEQ_LEN - 1, dtype=torch.bool), targets


def copy_eval_sets(batch: int = 256, seed: int = 1000) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The measurements' held-out sets: {"task 1", "task 2": (tokens ``[batch, 1 + 2 *
    REPEAT_HALF_LEN]``, targets ``[batch, 2 * REPEAT_HALF_LEN]``)}, the same repeated random
    tokens (``REPEAT_HALF_LEN`` twice), first token ``BOS`` / ``SHIFT_MARKER``, targets the next
    token / shifted on the repeated half. ``COPIED`` are their predictable repeated positions."""
    tokens = repeated_random_tokens(batch, REPEAT_HALF_LEN, INDUCTION_VOCAB, seed)
    marked = tokens.clone()
    marked[:, 0] = SHIFT_MARKER
    targets = tokens[:, 1:].clone()
    targets[:, REPEAT_HALF_LEN:] = shifted(targets[:, REPEAT_HALF_LEN:])
    return {"task 1": (tokens, tokens[:, 1:]), "task 2": (marked, targets)}


COPIED = repeated_halves(REPEAT_HALF_LEN)[1]

PARENT = attn_only_induction(2)  # toy-attn-2l
SHIFTED_COPY_FT = FineTunedSpec(
    name="toy-attn-2l-ft-shifted",
    description=(
        "toy-attn-2l fine-tuned 300 steps on the shifted-copy task (a marker token first; inside the repeated "
        "block, predict the next token plus one), AdamW lr 1e-3; a checkpoint every 5 steps and 20 log-spaced"
    ),
    arch=PARENT.arch,
    task="shifted-copy",
    train=TrainConfig(steps=300, batch_size=64, lr=1e-3, warmup_steps=10, log_every=100,
                      checkpoint_every=5, log_checkpoints=20),
    parent=PARENT,
)

register_model(SHIFTED_COPY_FT)



# --- 5.19: a fine-tuned toy with MLP neurons (modular addition -> subtraction) ---

ADD_MLP = modular_mlp("add")  # mod-add-mlp
ADD_TO_SUB_MLP = FineTunedMLPSpec(
    name="mod-add-mlp-ft-sub",
    description=(
        "mod-add-mlp fine-tuned 1000 full-batch steps on (a - b) mod 53 (the same fixed 50% split), AdamW lr 3e-3 "
        "wd 1 betas (0.9, 0.98); a checkpoint every 100 steps"
    ),
    dataset=f"{task_name(MOD_PROBLEMS['sub'])}-one-hot",
    d_in=ADD_MLP.d_in, d_hidden=ADD_MLP.d_hidden, d_out=ADD_MLP.d_out, act=ADD_MLP.act,
    train=dataclasses.replace(MLP_GROKKING_TRAIN, steps=1000, checkpoint_every=100, log_every=500),
    parent=ADD_MLP,
)

register_model(ADD_TO_SUB_MLP)
