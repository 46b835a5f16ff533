"""Probe text for the neuron claims (section 1, issue #14): seeded windows of English prose and
Python code mixed 80/20 (as the TransformerLens toy models' training data and ``catalog.corpus``),
the same text for every model, tokenised by each model's own tokenizer.

- Prose: the docstring paragraphs of ``catalog.prompts.text.DOC_MODULES``, joined per module.
- Code: the source of ``CODE_MODULES`` (standard library; the text depends on the Python version,
  3.11 here). The family trained here saw the standard library in training: these windows test
  what a neuron responds to, not generalisation.

``TextCodec`` puts the two kinds of tokenizer behind one interface: a Hugging Face tokenizer
(SmolLM2, the hub models) and a ``tokenizers.Tokenizer`` (the family trained here, whose
document separator ``END_OF_TEXT`` plays the role of BOS).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import random
import re
from typing import Callable

import torch

from catalog.prompts.text import DOC_MODULES, prose_paragraphs
from harness.models.corpus import END_OF_TEXT

CODE_MODULES = ("textwrap", "shutil", "csv", "string", "statistics", "json.encoder", "json.decoder", "argparse")
PROSE_SHARE = 0.8
# token kinds, first match wins (a token's text with its leading space); the last is "anything else"
TOKEN_KINDS = {"whitespace": r"^\s+$", "number": r"^\s?\d+$", "capitalised": r"^\s?[A-Z]", "lowercase": r"^\s?[a-z]",
               "other": r""}


@dataclasses.dataclass(frozen=True)
class TextCodec:
    """``encode(text) -> ids`` (no special tokens), ``decode(id) -> str`` of one token, ``bos``."""

    encode: Callable[[str], list[int]]
    decode: Callable[[int], str]
    bos: int


def codec_for(model, tokenizer=None) -> TextCodec:
    """The codec of ``tokenizer`` (a ``tokenizers.Tokenizer``, for models trained here) or else of
    the model's Hugging Face tokenizer."""
    if tokenizer is not None:
        return TextCodec(lambda text: tokenizer.encode(text).ids, lambda i: tokenizer.decode([i]),
                         tokenizer.token_to_id(END_OF_TEXT))
    hf = model.tokenizer
    bos = hf.bos_token_id if hf.bos_token_id is not None else hf.pad_token_id  # T5 has no BOS: its pad stands first
    return TextCodec(lambda text: hf.encode(text, add_special_tokens=False), lambda i: hf.decode([i]), bos)


@functools.cache
def probe_documents() -> tuple[list[str], list[str]]:
    """(prose documents, code documents): one per module."""
    prose = [" ".join(prose_paragraphs(m)) for m in DOC_MODULES]
    code = [inspect.getsource(importlib.import_module(m)) for m in CODE_MODULES]
    return [p for p in prose if p], code


def probe_windows(codec: TextCodec, n: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(tokens [n, 1 + length]: BOS and ``length`` tokens, is_code [n] bool): ``round(0.8 n)``
    prose windows then code windows, each from a document and start drawn with
    ``random.Random(seed)``."""
    rng = random.Random(seed)
    prose, code = ([codec.encode(doc) for doc in docs] for docs in probe_documents())
    n_prose = round(PROSE_SHARE * n)
    windows = []
    for i in range(n):
        ids = rng.choice([d for d in (prose if i < n_prose else code) if len(d) >= length])
        start = rng.randint(0, len(ids) - length)
        windows.append([codec.bos, *ids[start : start + length]])
    return torch.tensor(windows), torch.arange(n) >= n_prose


def regex_labels(codec: TextCodec, token_ids: torch.Tensor, pattern: str) -> torch.Tensor:
    """[n] bool: whether each token's text (token_ids [n]) matches ``pattern`` (``re.search``)."""
    compiled = re.compile(pattern)
    return torch.tensor([bool(compiled.search(codec.decode(int(i)))) for i in token_ids])


def token_classes(codec: TextCodec, token_ids: torch.Tensor) -> torch.Tensor:
    """[n] int: the index in ``TOKEN_KINDS`` of each token's kind (token_ids [n])."""
    kinds = [re.compile(p) for p in TOKEN_KINDS.values()]
    return torch.tensor([next(k for k, c in enumerate(kinds) if c.search(codec.decode(int(i)))) for i in token_ids])
