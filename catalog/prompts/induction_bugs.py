"""Prompt sets for the "bugs" of small models (open problems 1.17-1.22): where a 1-layer model's
skip-trigrams misfire, and where a copying (induction) head should stop or go on.

- ``skip_trigrams``: Elhage et al. 2021's skip-trigram bug ("keep ... in mind" and "keep ... at
  bay" make a 1-layer attention-only model also predict "keep ... in bay"): the prompts "keep
  [random tokens] in" / "... at", and the same with "keep" replaced by a random token.
- ``RepeatPrompts``: a random sequence repeated, with the predictions of its repeat split into
  those at a possible bug (``bug``) and the ordinary ones (``control``):
  - ``period_repeats`` (1.21): phrases ended by the model's "." token; the bug is the token after
    a ".", as predictable by induction as any other but where induction might stop;
  - ``ambiguous_repeats`` (1.20): a token A occurs twice in the sequence, followed by different
    tokens; the bug is the prediction at A in the repeat, where induction alone cannot tell
    which successor comes (the token before A can).
- ``split_token_repeats`` (1.19): a word first written without its leading space, so split into
  two tokens ("Cl" "aire"), then as its one-token form with the space (" Claire"): does the model
  predict what followed the word? Paired with the same prompts where both are the one token.

Random tokens are ids 1 .. d_vocab - 1 drawn with the set's ``seed``, avoiding the tokens the set
places.
"""

from __future__ import annotations

import dataclasses
import random
import re

import torch

from catalog.prompts.probe_text import TextCodec, probe_documents

PHRASE_LEN = 5
SKIP_TRIGRAMS = (("keep", "in", "mind"), ("keep", "at", "bay"))  # Elhage et al. 2021, "Skip-trigram bugs"


def random_tokens(gen: torch.Generator, shape: tuple[int, ...], d_vocab: int, avoid: list[int]) -> torch.Tensor:
    """Ids 1 .. d_vocab - 1 other than ``avoid`` (each id skips the avoided ids at or below it)."""
    avoid = sorted(set(avoid))
    tokens = torch.randint(1, d_vocab - len(avoid), shape, generator=gen)
    for token in avoid:
        tokens = tokens + (tokens >= token).long()
    return tokens


@dataclasses.dataclass(frozen=True)
class SkipTrigramPrompts:
    """tokens / control [n, 2 + gap + 1]: BOS, "keep" (control: a random token), ``gap`` random
    tokens, "in" or "at"; right / wrong [n]: the completion each prompt's trigram takes ("mind"
    after "in") and the other trigram's ("bay" after "in"); first tokens of each word."""

    tokens: torch.Tensor
    control: torch.Tensor
    right: torch.Tensor
    wrong: torch.Tensor


def skip_trigrams(codec: TextCodec, d_vocab: int, batch: int = 16, gap: int = 3, seed: int = 0) -> SkipTrigramPrompts:
    """``batch`` prompts for each of ``SKIP_TRIGRAMS`` (words with a leading space)."""
    first = {word: codec.encode(" " + word)[0] for trigram in SKIP_TRIGRAMS for word in trigram}
    gen = torch.Generator().manual_seed(seed)
    rows, control, right, wrong = [], [], [], []
    for (skip, current, completion), (_, _, other) in zip(SKIP_TRIGRAMS, SKIP_TRIGRAMS[::-1]):
        middle = random_tokens(gen, (batch, gap + 1), d_vocab, list(first.values()))
        row = torch.cat([torch.full((batch, 1), codec.bos), torch.full((batch, 1), first[skip]), middle[:, 1:],
                         torch.full((batch, 1), first[current])], dim=1)
        rows.append(row)
        control.append(torch.cat([row[:, :1], middle[:, :1], row[:, 2:]], dim=1))
        right.append(torch.full((batch,), first[completion]))
        wrong.append(torch.full((batch,), first[other]))
    return SkipTrigramPrompts(*(torch.cat(parts) for parts in (rows, control, right, wrong)))


@dataclasses.dataclass(frozen=True)
class RepeatPrompts:
    """tokens [batch, seq]: BOS, then a sequence twice; bug / control [batch, seq - 1] bool,
    aligned with ``per_token_loss``: the repeat's predictions at the possible bug and the other
    predictions of the repeat; first_copy [batch, seq - 1]: the predictions inside the first copy
    (not predictable)."""

    tokens: torch.Tensor
    bug: torch.Tensor
    control: torch.Tensor
    first_copy: torch.Tensor


def repeat_prompts(bos: int, sequence: torch.Tensor, at_bug: torch.Tensor) -> RepeatPrompts:
    """BOS, ``sequence`` [batch, n] twice; ``at_bug`` [batch, n] bool marks the sequence's tokens
    whose prediction (of the next token) is the bug."""
    tokens = torch.cat([torch.full((len(sequence), 1), bos), sequence, sequence], dim=1)
    n = sequence.shape[1]
    position = torch.arange(2 * n).expand(len(sequence), -1)
    in_repeat = position > n  # predictions from inside the second copy
    bug = in_repeat & torch.cat([torch.zeros_like(at_bug[:, :1]), at_bug, at_bug], dim=1)[:, :-1]  # by the current token
    return RepeatPrompts(tokens, bug, in_repeat & ~bug, (position >= 1) & (position < n))


def period_repeats(bos: int, period: int, d_vocab: int, batch: int = 8, phrase_len: int = PHRASE_LEN, n_phrases: int = 4,
                   seed: int = 0) -> RepeatPrompts:
    """``n_phrases`` phrases of ``phrase_len`` random tokens, each followed by ``period``;
    repeated once. The bug: the prediction at a "." (of the next phrase's first token)."""
    gen = torch.Generator().manual_seed(seed)
    words = random_tokens(gen, (batch, n_phrases, phrase_len), d_vocab, [period])
    phrases = torch.cat([words, torch.full((batch, n_phrases, 1), period)], dim=2).flatten(1)
    return repeat_prompts(bos, phrases, phrases == period)


def ambiguous_repeats(bos: int, d_vocab: int, batch: int = 8, length: int = 20, seed: int = 0) -> RepeatPrompts:
    """``length`` random tokens in which one token A (random) stands at two random positions
    (neither last nor adjacent), followed by different tokens; repeated once. The bug: the
    prediction at A in the repeat."""
    gen = torch.Generator().manual_seed(seed)
    a = torch.randint(1, d_vocab, (batch,), generator=gen)
    sequence = torch.stack([random_tokens(gen, (length,), d_vocab, [int(t)]) for t in a])
    first = torch.randint(1, length // 2 - 1, (batch,), generator=gen)
    second = torch.randint(length // 2, length - 1, (batch,), generator=gen)
    at_a = torch.zeros(batch, length, dtype=torch.bool)
    at_a[torch.arange(batch), first] = at_a[torch.arange(batch), second] = True
    return repeat_prompts(bos, torch.where(at_a, a[:, None], sequence), at_a)


def split_words(codec: TextCodec) -> list[str]:
    """Words of the probe prose (letters only, 4+ long), sorted, whose form with a leading space
    is one token and whose bare form is exactly two."""
    words = sorted({w for doc in probe_documents()[0] for w in re.findall(r"\b[A-Za-z]{4,}\b", doc)})
    return [w for w in words if len(codec.encode(" " + w)) == 1 and len(codec.encode(w)) == 2]


@dataclasses.dataclass(frozen=True)
class SplitTokenPrompts:
    """split / whole [batch, seq]: BOS, ``gap`` random tokens, the word (split: its two bare
    tokens; whole: a random token then its one token with the space), ``follow`` random tokens,
    ``gap`` random tokens, the word's one token, the same ``follow`` tokens. at [batch, seq - 1]
    bool: the prediction at the second occurrence (of the first ``follow`` token);
    first_copy [batch, seq - 1]: the prediction of that token after the first occurrence."""

    split: torch.Tensor
    whole: torch.Tensor
    at: torch.Tensor
    first_copy: torch.Tensor


def split_token_repeats(codec: TextCodec, words: list[str], d_vocab: int, batch: int = 8, gap: int = 6, follow: int = 3,
                        seed: int = 0) -> SplitTokenPrompts:
    """``batch`` prompts, each on a word drawn from ``words`` (``split_words``) with ``seed``."""
    chosen = random.Random(seed).choices(words, k=batch)
    pieces = torch.tensor([codec.encode(w) for w in chosen])  # [batch, 2]
    whole = torch.tensor([codec.encode(" " + w) for w in chosen])  # [batch, 1]
    gen = torch.Generator().manual_seed(seed)
    filler = torch.stack([random_tokens(gen, (2 * gap + follow + 1,), d_vocab, [*p.tolist(), *w.tolist()])
                          for p, w in zip(pieces, whole)])
    before, pad, after, following = filler[:, :gap], filler[:, gap : gap + 1], filler[:, gap + 1 : 2 * gap + 1], filler[:, 2 * gap + 1 :]
    bos = torch.full((batch, 1), codec.bos)
    prompts = [torch.cat([bos, before, first, following, after, whole, following], dim=1)
               for first in (pieces, torch.cat([pad, whole], dim=1))]
    at = torch.zeros(batch, prompts[0].shape[1] - 1, dtype=torch.bool)
    at[:, -follow] = True
    first_copy = torch.zeros_like(at)
    first_copy[:, gap + 2] = True
    return SplitTokenPrompts(*prompts, at, first_copy)
