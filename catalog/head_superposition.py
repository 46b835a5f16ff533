"""A toy of attention-head superposition (open problem 4.15): two attention rules that a flag
token selects, learned by a 1-layer attention-only transformer with one head (fewer heads than
rules) or with two (one per rule).

``BOS x_1 .. x_L FLAG ANSWER`` with ``L`` distinct content words; the answer, predicted at ``FLAG``:

- ``FLAG_COPY``: ``x_1``, the first word, copied;
- ``FLAG_SWAP``: ``partner(x_L)``, the last word's partner (words are paired 0-1, 2-3, ...).

Each rule needs its own attention (first or last word) and its own OV map (identity or the
pair swap). One head can attend where the flag says, but its OV circuit is one map: on a word
``x`` it can raise both ``x`` and ``partner(x)``, and nothing that depends on the flag alone can
tell them apart (the direct path adds the same logits to both rules' candidates).
"""

from __future__ import annotations

import torch

from catalog.sequences import answer_mask, distinct_values
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig

FR_BOS, FLAG_COPY, FLAG_SWAP = 0, 1, 2
FR_WORDS = 20  # content words 3 .. 22, paired (3, 4), (5, 6), ...
FR_LEN = 5
FR_SEQ = FR_LEN + 3
FLAG_POSITION = FR_LEN + 1
FR_VOCAB = 3 + FR_WORDS
FLAGS = {"copy": FLAG_COPY, "swap": FLAG_SWAP}
#: The position each rule reads.
RULE_SOURCE = {"copy": 1, "swap": FR_LEN}


def partner(words: torch.Tensor) -> torch.Tensor:
    """The other word of each word's pair (content words only)."""
    return 3 + ((words - 3) ^ 1)


def rule_answers(tokens: torch.Tensor) -> torch.Tensor:
    """[batch] the answer of each sequence's rule. tokens: [batch, seq >= FR_SEQ - 1]."""
    flag = tokens[:, FLAG_POSITION]
    return torch.where(flag == FLAG_COPY, tokens[:, RULE_SOURCE["copy"]], partner(tokens[:, RULE_SOURCE["swap"]]))


def other_rule_answers(tokens: torch.Tensor) -> torch.Tensor:
    """[batch] what the other flag's rule would answer on the same words."""
    swapped = tokens.clone()
    swapped[:, FLAG_POSITION] = FLAG_COPY + FLAG_SWAP - tokens[:, FLAG_POSITION]
    return rule_answers(swapped)


def flag_rule_sequences(gen: torch.Generator, batch: int, flag: int | None = None) -> torch.Tensor:
    """[batch, FR_SEQ] sequences of distinct words and their answer; the flag drawn per row
    unless given."""
    words = 3 + distinct_values(gen, batch, FR_LEN, FR_WORDS)
    flags = torch.randint(FLAG_COPY, FLAG_SWAP + 1, (batch, 1), generator=gen) if flag is None else torch.full((batch, 1), flag)
    prompts = torch.cat([torch.full((batch, 1), FR_BOS), words, flags], dim=1)
    return torch.cat([prompts, rule_answers(prompts)[:, None]], dim=1)


@register_task("flag-rules")
def flag_rules_task(gen: torch.Generator, batch: int):
    """Loss on the answer only (predicted at the flag)."""
    return flag_rule_sequences(gen, batch), answer_mask(batch, FR_SEQ, FLAG_POSITION, FLAG_POSITION + 1)


def flag_rules_model(n_heads: int) -> ToyTransformerSpec:
    return ToyTransformerSpec(
        name=f"flag-rules-attn-1l-{n_heads}h",
        description=(f"1-layer attention-only transformer (d_model 64, {n_heads} head(s) of d_head {64 // n_heads}, LN) "
                     f"on two flag-selected attention rules: BOS x_1..x_{FR_LEN} FLAG -> x_1 (copy flag) or the pair "
                     f"partner of x_{FR_LEN} (swap flag), {FR_WORDS} words; 500 steps of 128 (4.15)"),
        arch=lm_arch(1, FR_SEQ, FR_VOCAB, attn_only=True, n_heads=n_heads),
        task="flag-rules",
        train=TrainConfig(steps=500, batch_size=128, lr=3e-3, warmup_steps=50, log_every=100),
    )


#: Fewer heads than rules (the claim model) and one head per rule (the control).
FLAG_RULE_MODELS = {n: flag_rules_model(n) for n in (1, 2)}
for _spec in FLAG_RULE_MODELS.values():
    register_model(_spec)
