"""Repeated word sequences for fuzzy induction (open problem 2.35), seeded: BOS, ``length``
distinct words (" apple"), then the same words again, either exactly (" apple") or with their
case changed (" Apple"). An induction head attends from a word's repeat to the word after its
first occurrence; a *fuzzy* one does so when the repeat is only similar (another token).
"""

from __future__ import annotations

import dataclasses
import random

import torch

# common words, one token each with a leading space, lowercase and capitalised, for SmolLM2's tokenizer
WORDS = ("apple", "river", "music", "window", "table", "paper", "money", "water", "house", "market", "letter", "doctor",
         "school", "summer", "winter", "story", "office", "family", "friend", "animal", "person", "number", "system",
         "course", "field", "party", "policy", "season", "forest", "castle", "engine", "circle", "square", "colour",
         "yellow", "purple", "orange", "planet", "camera", "screen", "button", "simple", "modern", "public", "little",
         "second", "people", "mother", "father", "brother")  # fmt: skip
REPEAT_WORDS = 20


@dataclasses.dataclass(frozen=True)
class WordRepeats:
    """exact, case_changed: [n, 1 + 2 * length] token ids, the same first halves; the second half
    of ``case_changed`` holds the capitalised words."""

    exact: torch.Tensor
    case_changed: torch.Tensor


def single_token_words(tokenizer) -> list[str]:
    """The words of ``WORDS`` that are one token with a leading space, lowercase and capitalised,
    for ``tokenizer`` (all of them for SmolLM2's)."""
    one = lambda text: len(tokenizer.encode(text, add_special_tokens=False)) == 1  # noqa: E731
    return [w for w in WORDS if one(f" {w}") and one(f" {w.capitalize()}")]


def word_repeats(tokenizer, n: int = 20, length: int = REPEAT_WORDS, seed: int = 0) -> WordRepeats:
    """``n`` sequences of ``length`` distinct words of ``single_token_words`` drawn with
    ``random.Random(seed)``, each repeated exactly and case-changed."""
    words = single_token_words(tokenizer)
    if len(words) < length:
        raise ValueError(f"only {len(words)} of the words are one token for this tokenizer; {length} needed")
    ids = lambda ws: [tokenizer.encode(f" {w}", add_special_tokens=False)[0] for w in ws]  # noqa: E731
    rng = random.Random(seed)
    exact, changed = [], []
    for _ in range(n):
        drawn = rng.sample(words, length)
        first = [tokenizer.bos_token_id, *ids(drawn)]
        exact.append(first + ids(drawn))
        changed.append(first + ids([w.capitalize() for w in drawn]))
    return WordRepeats(torch.tensor(exact), torch.tensor(changed))
