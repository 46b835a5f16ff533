"""Probe windows: seeded, 80/20 prose/code, BOS first, the same text through either kind of
tokenizer; token kinds and regex labels from each token's text."""

from types import SimpleNamespace

import torch

from catalog.prompts.probe_text import TOKEN_KINDS, codec_for, probe_documents, probe_windows, regex_labels, token_classes
from harness.models.corpus import END_OF_TEXT, train_tokenizer
from harness.models.standins import train_word_tokenizer


def family_codec():
    prose, code = probe_documents()
    return codec_for(None, train_tokenizer(END_OF_TEXT.join(prose[:3] + code[:1]), 300))


def test_windows_are_seeded_mixed_and_start_with_bos():
    codec = family_codec()
    tokens, is_code = probe_windows(codec, 10, 16, seed=3)
    assert tokens.shape == (10, 17) and (tokens[:, 0] == codec.bos).all()
    assert is_code.tolist() == [False] * 8 + [True] * 2
    assert torch.equal(tokens, probe_windows(codec, 10, 16, seed=3)[0])
    assert not torch.equal(tokens, probe_windows(codec, 10, 16, seed=4)[0])


def test_token_kinds_and_regex_labels_read_each_tokens_text():
    codec = family_codec()
    ids = torch.tensor([codec.encode(text)[0] for text in ("\n", "7", "The", "x", "(")])
    kinds = list(TOKEN_KINDS)
    assert [kinds[k] for k in token_classes(codec, ids)] == ["whitespace", "number", "capitalised", "lowercase", "other"]
    assert regex_labels(codec, ids, r"\(").tolist() == [False, False, False, False, True]


def test_a_tokenizer_without_bos_starts_windows_with_its_pad_token():
    """T5's tokenizer has no BOS (problem 4.43): its pad token stands first."""
    hf = train_word_tokenizer(["a b c"])
    hf.add_special_tokens({"pad_token": "<pad>"})
    hf.bos_token = None
    assert codec_for(SimpleNamespace(tokenizer=hf)).bos == hf.pad_token_id
