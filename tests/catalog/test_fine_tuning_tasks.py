"""The fine-tuning toy's shifted-copy task and the toy translation task (soft induction)."""

import torch

from catalog.fine_tuning import SHIFT_MARKER, copy_eval_sets, shifted
from catalog.translation import A_WORDS, TR_PAD, TR_SEP, TRANSLATION, soft_induction_targets
from harness.models.tasks import task_batch


def test_shifted_copy_shifts_the_targets_of_the_copied_block_only():
    induction, _, next_tokens = task_batch("induction", 16, 3)
    tokens, mask, targets = task_batch("shifted-copy", 16, 3)
    assert torch.equal(tokens[:, 1:], induction[:, 1:]) and (tokens[:, 0] == SHIFT_MARKER).all() and mask.all()
    changed = targets != next_tokens
    assert torch.equal(targets[changed], shifted(next_tokens[changed]))
    assert 8 <= changed.sum(dim=1).min() and changed.sum(dim=1).max() <= 20  # one block of 8-20 tokens per row


def test_shifted_wraps_within_the_non_bos_tokens():
    assert shifted(torch.tensor([1, 5, 127])).tolist() == [2, 6, 1]


def test_the_eval_sets_differ_in_the_marker_and_the_repeated_targets():
    sets = copy_eval_sets(4)
    (plain, first), (marked, second) = sets["task 1"], sets["task 2"]
    assert torch.equal(plain[:, 1:], marked[:, 1:]) and (marked[:, 0] == SHIFT_MARKER).all()
    assert torch.equal(first[:, :20], second[:, :20]) and torch.equal(second[:, 20:], shifted(first[:, 20:]))


def test_translation_sentences_and_their_soft_induction_targets():
    tokens, mask, _ = task_batch("translation", 32, 0)
    targets = soft_induction_targets(tokens)
    for row in range(len(tokens)):
        n = int((tokens[row] == TR_SEP).nonzero()[0]) - 1
        source, translation = tokens[row, 1 : n + 1], tokens[row, n + 2 : 2 * n + 2]
        assert torch.isin(source, A_WORDS).all() and len(set(source.tolist())) == n
        assert torch.equal(translation, TRANSLATION[source - 3]) and (tokens[row, 2 * n + 2 :] == TR_PAD).all()
        assert mask[row].nonzero().flatten().tolist() == list(range(n + 1, 2 * n + 1))
        queries, keys = targets[row].nonzero(as_tuple=True)
        assert len(queries) == n - 1  # every B word but the last
        # the key holds the word after the query's source: its previous token translates to the query
        assert torch.equal(TRANSLATION[tokens[row, keys - 1] - 3], tokens[row, queries])
