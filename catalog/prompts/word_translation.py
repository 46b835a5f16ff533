"""Few-shot English -> French word translation (open problem 2.34, translation heads), seeded:
three solved pairs, then an English word whose French translation is the answer:

    English: cat - French: chat
    English: wine - French: vin
    English: sea - French: mer
    English: bread - French:           -> " pain" (wrong: " bread", the English word copied)

The wrong answer is the source word itself, so logit(translation) - logit(source) separates
translating from copying. Words are one token with a leading space in both languages
(``translation_pairs``: 30 of ``PAIRS`` for SmolLM2's tokenizer; most French words one token
there are also English or Romance words, e.g. " main", " pain"). Positions "source" (the
English word to translate) and "previous translation" (the last example's French word, the
most recent French token a head could copy instead).
"""

from __future__ import annotations

import random

import torch

from catalog.prompts.natural_language import NLTask, build

N_PROMPTS = 100
N_SHOTS = 3
PAIRS = (
    ("cat", "chat"), ("bread", "pain"), ("wine", "vin"), ("sea", "mer"), ("day", "jour"), ("hand", "main"),
    ("bed", "lit"), ("green", "vert"), ("big", "grand"), ("good", "bon"), ("word", "mot"), ("wind", "vent"),
    ("country", "pays"), ("thing", "chose"), ("body", "corps"), ("death", "mort"), ("blood", "sang"),
    ("floor", "sol"), ("wall", "mur"), ("salt", "sel"), ("coffee", "café"), ("road", "route"), ("bridge", "pont"),
    ("bear", "ours"), ("end", "fin"), ("place", "lieu"), ("name", "nom"), ("iron", "fer"), ("tooth", "dent"),
    ("bone", "os"),
)  # fmt: skip


def translation_pairs(tokenizer) -> list[tuple[str, str]]:
    """The pairs of ``PAIRS`` whose English and French words are each one token with a leading
    space for ``tokenizer`` (all 30 for SmolLM2's)."""
    one = lambda word: len(tokenizer.encode(f" {word}", add_special_tokens=False)) == 1  # noqa: E731
    return [(english, french) for english, french in PAIRS if one(english) and one(french)]


def translation_ids(tokenizer) -> tuple[torch.Tensor, torch.Tensor]:
    """([n_pairs] English, [n_pairs] French) token ids of ``translation_pairs``, aligned."""
    pairs = translation_pairs(tokenizer)
    ids = lambda words: torch.tensor([tokenizer.encode(f" {w}", add_special_tokens=False)[0] for w in words])  # noqa: E731
    return ids([e for e, _ in pairs]), ids([f for _, f in pairs])


def word_translations(tokenizer, n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``n`` prompts of ``N_SHOTS`` solved pairs and a query (``N_SHOTS + 1`` distinct pairs of
    ``translation_pairs`` drawn with ``random.Random(seed)``), the query's French word the answer,
    its English word the wrong one."""
    rng, pairs = random.Random(seed), translation_pairs(tokenizer)
    rows = []
    for _ in range(n):
        *shots, (english, french) = rng.sample(pairs, N_SHOTS + 1)
        pieces = [p for e, f in shots for p in ("English", ":", f" {e}", " -", " French", ":", f" {f}", "\n")]
        where = {"previous translation": len(pieces) - 2, "source": len(pieces) + 2}
        rows.append(([*pieces, "English", ":", f" {english}", " -", " French", ":"], f" {french}", f" {english}", where))
    return build(tokenizer, "word translations", rows)
