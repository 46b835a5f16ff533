"""Prompt sets about numbers for SmolLM2 (its tokenizer writes every digit as one token):
numbered lines (open problem 2.3), two-digit addition (2.37) and counting objects (2.9). Seeded; built from pieces
tokenized one by one (``catalog.prompts.natural_language.build``), so all prompts of a set have
one length and known positions.

- ``numbered_lines``: "4. cat\\n5. road\\n6. sky\\n" -> "7" (wrong: "6", the previous number,
  what copying the token after the previous newline would give). Position "previous number".
- ``two_digit_addition``: two solved examples, then "a+b=" and the answer's two digits
  (teacher forcing: one pass gives both digit predictions). Sums stay below 100.
- ``counting``: "In the basket: pear, apple, apple, pear, apple, pear, pear. The number of apples
  in the basket is " -> "3" (wrong: "4", the other fruit's count).
"""

from __future__ import annotations

import dataclasses
import random

import torch

from catalog.prompts.natural_language import NOUNS, NLTask, build, token_id

N_PROMPTS = 100
N_LINES = 3


def numbered_lines(tokenizer, n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``N_LINES`` numbered lines "k. <noun>" starting at 1..6, the next number to predict
    after the last newline."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        start = rng.randint(1, 9 - N_LINES)
        pieces = [p for k in range(start, start + N_LINES) for p in (str(k), ".", " " + rng.choice(NOUNS), "\n")]
        rows.append((pieces, str(start + N_LINES), str(start + N_LINES - 1), {"previous number": 4 * (N_LINES - 1)}))
    return build(tokenizer, "numbered lines", rows)


@dataclasses.dataclass(frozen=True)
class AdditionPrompts:
    """tokens: [n, seq] (BOS, two solved examples, "a+b=" and the answer's two digits);
    answers: [n, 2] the tens and units digit token ids; positions: [2] the positions that
    predict them ("=" and the tens digit); texts: the prompts as text."""

    texts: tuple[str, ...]
    tokens: torch.Tensor
    answers: torch.Tensor
    positions: torch.Tensor


def addition_pieces(a: int, b: int) -> list[str]:
    return [*str(a), "+", *str(b), "=", *str(a + b)]


def two_digit_addition(tokenizer, n: int = N_PROMPTS, seed: int = 0) -> AdditionPrompts:
    """``n`` sums a + b of two-digit numbers below 100, each after two solved examples (one a
    line), all drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)

    def pair() -> tuple[int, int]:
        a = rng.randint(10, 89)
        return a, rng.randint(10, 99 - a)

    rows = [[p for a, b in (pair(), pair()) for p in (*addition_pieces(a, b), "\n")] + addition_pieces(*pair()) for _ in range(n)]
    tokens = torch.tensor([[tokenizer.bos_token_id, *(token_id(tokenizer, p) for p in row)] for row in rows])
    seq = tokens.shape[1]
    return AdditionPrompts(texts=tuple("".join(row) for row in rows), tokens=tokens,
                           answers=tokens[:, seq - 2 :], positions=torch.tensor([seq - 3, seq - 2]))


N_ITEMS = 7  # odd, so the two fruits' counts always differ
FRUITS = ("apple", "pear", "orange", "banana", "lemon", "grape")  # singular and plural one token each


def counting(tokenizer, n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``n`` baskets of ``N_ITEMS`` fruits of two kinds in random order, the counted fruit 1 to
    ``N_ITEMS - 1`` times (cycling, so every count has as many prompts), the fruits drawn with
    ``random.Random(seed)``."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        count = 1 + i % (N_ITEMS - 1)
        fruit, other = rng.sample(FRUITS, 2)
        basket = [fruit] * count + [other] * (N_ITEMS - count)
        rng.shuffle(basket)
        items = [p for item in basket for p in (" " + item, ",")][:-1]
        pieces = ["In", " the", " basket", ":", *items, ".", " The", " number", " of", " " + fruit + "s", " in", " the", " basket", " is", " "]
        rows.append((pieces, str(count), str(N_ITEMS - count), {}))
    return build(tokenizer, "counting", rows)
