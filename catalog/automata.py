"""Automata (open problem 3.12; Liu et al. 2022, "Transformers learn shortcuts to automata"): a
model reads the input symbols and names the automaton's state after each one. Three of their
semiautomata: parity (the cyclic group C_2), a modular counter (C_3: the number of 1s mod 3) and
Dyck-1 of bounded depth (the state is the nesting depth). Models are trained on ``AUTOMATA_LEN``
symbols and evaluated on twice as many (``automaton_batch(name, gen, batch, length)``)."""

from __future__ import annotations

import torch

from harness.interp.accuracy import correct_predictions
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig

AUTOMATA_LEN = 16  # symbols per training sequence
DYCK_DEPTH = 4  # Dyck-1 strings never nest deeper than this
FILLER = 2  # the token after the last symbol (its position predicts nothing)


def parity_states(symbols: torch.Tensor) -> torch.Tensor:
    """``[batch, n]`` bits -> ``[batch, n]`` parity of each prefix."""
    return symbols.cumsum(dim=1) % 2


def counter_states(symbols: torch.Tensor) -> torch.Tensor:
    """``[batch, n]`` bits -> ``[batch, n]`` number of 1s of each prefix, mod 3."""
    return symbols.cumsum(dim=1) % 3


def dyck_symbols(gen: torch.Generator, batch: int, length: int) -> torch.Tensor:
    """``[batch, length]`` Dyck-1 prefixes (0 = open, 1 = close) of depth 0 .. ``DYCK_DEPTH``: a
    fair random walk, forced up at depth 0 and down at the maximum depth."""
    coins = torch.rand(batch, length, generator=gen) < 0.5
    symbols = torch.zeros(batch, length, dtype=torch.long)
    depth = torch.zeros(batch, dtype=torch.long)
    for i in range(length):
        close = torch.where(depth == 0, False, torch.where(depth == DYCK_DEPTH, True, coins[:, i]))
        symbols[:, i] = close.long()
        depth += 1 - 2 * close.long()
    return symbols


def dyck_states(symbols: torch.Tensor) -> torch.Tensor:
    """``[batch, n]`` brackets (0 = open, 1 = close) -> ``[batch, n]`` depth after each one."""
    return (1 - 2 * symbols).cumsum(dim=1)


def bits(gen: torch.Generator, batch: int, length: int) -> torch.Tensor:
    return torch.randint(0, 2, (batch, length), generator=gen)


# name -> (symbol sampler, state function, number of states, training steps); Dyck-1 is learned
# in about 100 steps of 64 (loss 0.007), the mod-3 counter in about 900, parity later and less
# stably (a first try at 1200 steps of constant learning rate ended in a loss spike)
AUTOMATA = {
    "parity": (bits, parity_states, 2, 2000),
    "counter3": (bits, counter_states, 3, 1500),
    "dyck1": (dyck_symbols, dyck_states, DYCK_DEPTH + 1, 300),
}


def automaton_batch(name: str, gen: torch.Generator, batch: int, length: int):
    """``(tokens [batch, length + 1], loss_mask [batch, length], targets [batch, length])``: the
    symbols then ``FILLER``; position i predicts the state after symbol i (every position)."""
    sample, states, _, _ = AUTOMATA[name]
    symbols = sample(gen, batch, length)
    tokens = torch.cat([symbols, torch.full((batch, 1), FILLER)], dim=1)
    return tokens, torch.ones(batch, length, dtype=torch.bool), states(symbols)


def automaton_model(name: str) -> str:
    return f"automaton-{name}-2l"


for _name, (_, _, _states, _steps) in AUTOMATA.items():
    register_task(f"automaton-{_name}")(
        lambda gen, batch, name=_name: automaton_batch(name, gen, batch, AUTOMATA_LEN))
    # n_ctx covers twice the training length (for the length test); positions beyond
    # AUTOMATA_LEN are never trained
    register_model(ToyTransformerSpec(
        automaton_model(_name),
        f"2-layer transformer (d_model 64, 4 heads, GELU MLP, LN, learned positions) naming the state of the "
        f"{_name} automaton after each of {AUTOMATA_LEN} symbols, {_steps} steps of 64 (cosine learning rate)",
        lm_arch(2, 2 * AUTOMATA_LEN + 1, max(FILLER + 1, _states)), f"automaton-{_name}",
        TrainConfig(steps=_steps, batch_size=64, lr=1e-3, warmup_steps=100, log_every=100, lr_schedule="cosine"),
    ))


AUTOMATON_OF = {automaton_model(name): name for name in AUTOMATA}


def length_accuracy(model, name: str, seed: int) -> tuple[float, float]:
    """State accuracy of ``model`` on 512 sequences of ``2 * AUTOMATA_LEN`` symbols drawn with
    ``seed``: (over the first ``AUTOMATA_LEN`` states, the trained length; over the later ones).
    Causal attention makes the first half exactly an in-distribution evaluation."""
    tokens, _, targets = automaton_batch(name, torch.Generator().manual_seed(seed), 512, 2 * AUTOMATA_LEN)
    correct = correct_predictions(model, tokens, targets).float()
    return float(correct[:, :AUTOMATA_LEN].mean()), float(correct[:, AUTOMATA_LEN:].mean())
