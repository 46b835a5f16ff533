"""Closing a string with the quote character that opened it (open problem 2.17, our code
behaviour), seeded, built from pieces tokenized one by one (``catalog.prompts.natural_language.build``).

Two assignments, the first string closed, the second open: "a = 'text'\\nb = \\"hello" -> '"'
(wrong: "'", the first string's quote). The two strings always use different quotes, so the
answer must come from the open string, not from the most recent quote character. Positions
"open" (the open string's opening quote) and "other" (the first string's opening quote).
"""

from __future__ import annotations

import random

from catalog.prompts.code import CONTENT, VARIABLES
from catalog.prompts.natural_language import NLTask, build

N_PROMPTS = 100

QUOTES = ("'", '"')


def matching_quotes(tokenizer, n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``n`` prompts "<a> = <q1><word><q1>\\n<b> = <q2><word>" -> q2 (wrong: q1), q1 != q2,
    prompt i opening the second string with '"' when i is odd; variables distinct, drawn with
    ``random.Random(seed)``."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        first, second = rng.sample(VARIABLES, 2)
        other, quote = (QUOTES[0], QUOTES[1]) if i % 2 else (QUOTES[1], QUOTES[0])
        pieces = [first, " =", f" {other}", rng.choice(CONTENT), other, "\n", second, " =", f" {quote}", rng.choice(CONTENT)]
        rows.append((pieces, quote, other, {"other": 2, "open": 8}))
    return build(tokenizer, "matching quotes", rows)
