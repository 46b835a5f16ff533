"""A toy indirect-object-identification task (seed problems 3.18, 3.19, 3.22) and the
attention-only transformers trained on it."""

from __future__ import annotations

import torch

from catalog.sequences import answer_mask, distinct_values, toy
from harness.models.tasks import register_task
from harness.models.toy_transformer import lm_arch

# 3.18 / 3.19 / 3.22 toy IOI: BOS X Y f f S f TO -> the name among X, Y that is not S
IOI_NAMES, IOI_FILLERS = 20, 20
IOI_BOS, IOI_TO = 0, 1 + IOI_NAMES + IOI_FILLERS
IOI_S2_POS, IOI_SEQ = 5, 9


@register_task("toy-ioi")
def toy_ioi(gen: torch.Generator, batch: int):
    """Two distinct names, fillers, the subject (one of the two) again, a filler, ``TO``; the
    answer is the other name (the indirect object). Loss on the answer only."""
    names = 1 + distinct_values(gen, batch, 2, IOI_NAMES)
    fillers = 1 + IOI_NAMES + torch.randint(0, IOI_FILLERS, (batch, 3), generator=gen)
    s_is_x = torch.rand(batch, generator=gen) < 0.5
    subject = torch.where(s_is_x, names[:, 0], names[:, 1])
    io = torch.where(s_is_x, names[:, 1], names[:, 0])
    tokens = torch.stack([torch.full((batch,), IOI_BOS), names[:, 0], names[:, 1], fillers[:, 0], fillers[:, 1],
                          subject, fillers[:, 2], torch.full((batch,), IOI_TO), io], dim=1)
    return tokens, answer_mask(batch, IOI_SEQ, IOI_SEQ - 2, IOI_SEQ - 1)


def ioi_io_targets(tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]`` bool: from ``TO`` to the first mention of the indirect object."""
    targets = torch.zeros(tokens.shape[0], IOI_SEQ, IOI_SEQ, dtype=torch.bool)
    targets[:, IOI_SEQ - 2, 1] = tokens[:, 1] == tokens[:, -1]
    targets[:, IOI_SEQ - 2, 2] = tokens[:, 2] == tokens[:, -1]
    return targets


def ioi_s1_targets(tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]`` bool: from the second mention of the subject to its first."""
    targets = torch.zeros(tokens.shape[0], IOI_SEQ, IOI_SEQ, dtype=torch.bool)
    targets[:, IOI_S2_POS, 1] = tokens[:, 1] == tokens[:, IOI_S2_POS]
    targets[:, IOI_S2_POS, 2] = tokens[:, 2] == tokens[:, IOI_S2_POS]
    return targets


def ioi_s2_targets(tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]`` bool: from ``TO`` to the second mention of the subject."""
    targets = torch.zeros(tokens.shape[0], IOI_SEQ, IOI_SEQ, dtype=torch.bool)
    targets[:, IOI_SEQ - 2, IOI_S2_POS] = True
    return targets


for _layers in (2, 3):
    toy(f"toy-ioi-{_layers}l", f"{_layers}-layer attention-only transformer (d_model 64, 4 heads, LN) on a toy "
        f"IOI task (BOS X Y f f S f TO -> IO, {IOI_NAMES} names), 2000 steps of 128, a checkpoint every 50, "
        "30 log-spaced and every 5 over steps 80-200 (where the S-inhibition head forms)",
        lm_arch(_layers, IOI_SEQ, IOI_TO + 1, attn_only=True), "toy-ioi", 2000, checkpoint_every=50, log_checkpoints=30,
        dense_checkpoints=(80, 200, 5))
