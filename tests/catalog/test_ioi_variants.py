"""catalog.prompts.ioi's position / token variants (open problem 4.23) on a hand-made batch."""

from __future__ import annotations

import torch

from catalog.prompts.ioi import IOIPrompts, name_positions, replaced_subject, swapped_name_order


def prompts() -> IOIPrompts:
    # "BOS IO and S went . S gave to" (ABBA) and "BOS S and IO went . S gave to" (BABA)
    tokens = torch.tensor([[0, 10, 1, 11, 2, 11, 3], [0, 12, 1, 13, 2, 12, 3]])
    corrupted = torch.tensor([[0, 20, 1, 21, 2, 22, 3], [0, 23, 1, 24, 2, 25, 3]])
    io, s = torch.tensor([10, 13]), torch.tensor([11, 12])
    return IOIPrompts(texts=("", ""), corrupted_texts=("", ""), tokens=tokens, corrupted=corrupted, io=io, s=s,
                      positions=name_positions(tokens, io, s), orders=("ABBA", "BABA"), templates=torch.tensor([0, 0]))


def test_swapped_name_order_moves_the_names_and_keeps_the_tokens():
    swapped = swapped_name_order(prompts())
    assert swapped.tolist() == [[0, 11, 1, 10, 2, 11, 3], [0, 13, 1, 12, 2, 12, 3]]
    assert all(sorted(a.tolist()) == sorted(b.tolist()) for a, b in zip(swapped, prompts().tokens))


def test_replaced_subject_keeps_the_positions_and_changes_the_subject():
    assert replaced_subject(prompts()).tolist() == [[0, 10, 1, 22, 2, 22, 3], [0, 25, 1, 13, 2, 25, 3]]
