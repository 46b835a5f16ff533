"""Head scores several SmolLM2 induction claims share, as the ``repeat_scores`` fixture."""

import functools

import torch

from catalog.datasets import REPEAT_HALF_LEN, repeated_tokens_for
from harness.claims.shared import per_target
from harness.interp.heads import (attention_patterns, attention_to_targets, duplicate_token_targets, induction_targets,
                                  previous_token_targets, top_head)
from harness.interp.memory import component_outputs, erasure_cosines, presence

HEAD_KINDS = {"induction": induction_targets, "previous-token": previous_token_targets, "duplicate-token": duplicate_token_targets}


@per_target
def repeat_scores(model):
    """{kind: [n_layers, n_heads]} induction, previous-token and duplicate-token scores on 32
    repeated-token sequences (data seed 1000), from one forward pass."""
    tokens = repeated_tokens_for(model, batch=32, half_len=REPEAT_HALF_LEN, seed=1000)
    patterns = attention_patterns(model, tokens)
    return {kind: attention_to_targets(patterns, targets(tokens)).cpu() for kind, targets in HEAD_KINDS.items()}


# --- Issue #16 (2.31, 2.32, 2.33): the residual stream as memory, on repeated random tokens ---


N_MEMORY_SEQUENCES = 8  # repeated-token sequences (8 x 41 positions) per draw


class MemoryMeasurements:
    """Erasure and presence on ``N_MEMORY_SEQUENCES`` repeated random-token sequences drawn with a
    data seed (a toy model's own seed, or SmolLM2's prompt seed); heads found by ``repeat_scores``."""

    def __init__(self, model, scores: dict[str, torch.Tensor]):
        self.model, self.scores = model, scores

    @functools.cache
    def tokens(self, seed: int) -> torch.Tensor:
        return repeated_tokens_for(self.model, batch=N_MEMORY_SEQUENCES, half_len=REPEAT_HALF_LEN, seed=seed)

    @functools.cache
    def erasure(self, seed: int) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """([n_components, n_components] same-position mean cosines (later, earlier), the same
        with the earlier output taken one position away, component names)."""
        outputs, names, layers = component_outputs(self.model, self.tokens(seed))
        return erasure_cosines(outputs, layers), erasure_cosines(outputs, layers, shift=1), names

    @functools.cache
    def prev_token_presence(self, seed: int) -> tuple[tuple[int, int], tuple[int, int], torch.Tensor]:
        """(the top previous-token head, the top induction head, [n_layers - layer] the presence of
        the previous-token head's output after each block from its own on)."""
        prev, induction = top_head(self.scores["previous-token"]), top_head(self.scores["induction"])
        return prev, induction, presence(self.model, self.tokens(seed), prev)


@per_target
def memory(model, repeat_scores):
    """The residual-stream memory measurements of the claim's model (per data seed inside)."""
    return MemoryMeasurements(model, repeat_scores)
