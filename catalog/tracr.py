"""Compiled transformers with known circuits: four programs of tracr's ``tracr.compiler.lib``
compiled by tracr (vocabularies, ``max_seq_len`` and BOS as in tracr's examples and
TransformerLens's Tracr demo). They need the ``tracr`` extra to compile once; the converted
weights are cached (``harness.models.pretrained.tracr``)."""

from __future__ import annotations

import torch

from harness.models.pretrained.tracr import TracrSpec
from harness.models.registry import register_model

TRACR_MODELS = ["tracr-reverse", "tracr-sort-unique", "tracr-frac-prevs", "tracr-hist"]


def reverse_program():
    from tracr.compiler import lib
    from tracr.rasp import rasp

    return lib.make_reverse(rasp.tokens)


def sort_unique_program():
    from tracr.compiler import lib
    from tracr.rasp import rasp

    return lib.make_sort_unique(rasp.tokens, rasp.tokens)


def frac_prevs_program():
    from tracr.compiler import lib
    from tracr.rasp import rasp

    return lib.make_frac_prevs(rasp.numerical(rasp.Map(lambda x: x == "x", rasp.tokens)))


def hist_program():
    from tracr.compiler import lib

    return lib.make_hist()


for _spec in (
    TracrSpec("tracr-reverse", "tracr's make_reverse(tokens), vocab {1, 2, 3}, up to 5 tokens", reverse_program,
              vocab=(1, 2, 3), max_seq_len=5),
    TracrSpec("tracr-sort-unique", "tracr's make_sort_unique(tokens, tokens), vocab {1..8}, up to 5 distinct tokens",
              sort_unique_program, vocab=tuple(range(1, 9)), max_seq_len=5, unique_inputs=True),
    TracrSpec("tracr-frac-prevs", "tracr's make_frac_prevs(tokens == 'x') (numerical output), vocab {a, b, c, x}, "
              "up to 5 tokens", frac_prevs_program, vocab=("a", "b", "c", "x"), max_seq_len=5),
    TracrSpec("tracr-hist", "tracr's make_hist(), vocab {a, b, c, d}, up to 5 tokens", hist_program,
              vocab=("a", "b", "c", "d"), max_seq_len=5),
):
    register_model(_spec)


def reverse_selected_keys(tokens: torch.Tensor) -> torch.Tensor:
    """[batch, n]: the key position the flip selector of ``make_reverse`` selects for query
    positions 1..n (BOS at 0): index i selects index n - 1 - i."""
    n = tokens.shape[1] - 1
    return torch.arange(n, 0, -1).expand(tokens.shape[0], n)


def sort_selected_keys(tokens: torch.Tensor) -> torch.Tensor:
    """[batch, n]: ``make_sort_unique``'s last selector: index i selects the key whose rank
    (number of smaller keys) is i, i.e. the position of the i-th smallest token."""
    return tokens[:, 1:].argsort(dim=1) + 1


# the program's last select, implemented by the circuit's last head
SELECTED_KEYS = {"tracr-reverse": reverse_selected_keys, "tracr-sort-unique": sort_selected_keys}
