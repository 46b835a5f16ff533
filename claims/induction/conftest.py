"""Head scores several SmolLM2 induction claims share, as the ``repeat_scores`` fixture."""

from catalog.datasets import REPEAT_HALF_LEN, repeated_tokens_for
from harness.claims.shared import per_target
from harness.interp.heads import attention_patterns, attention_to_targets, duplicate_token_targets, induction_targets, previous_token_targets

HEAD_KINDS = {"induction": induction_targets, "previous-token": previous_token_targets, "duplicate-token": duplicate_token_targets}


@per_target
def repeat_scores(model):
    """{kind: [n_layers, n_heads]} induction, previous-token and duplicate-token scores on 32
    repeated-token sequences (data seed 1000), from one forward pass."""
    tokens = repeated_tokens_for(model, batch=32, half_len=REPEAT_HALF_LEN, seed=1000)
    patterns = attention_patterns(model, tokens)
    return {kind: attention_to_targets(patterns, targets(tokens)).cpu() for kind, targets in HEAD_KINDS.items()}
