"""Names to emails for SmolLM2 (open problems 2.5, 2.6), seeded: a mail header with one solved
address, then a second person whose address is to be written in the same format:

    From: Tom Smith <tom.smith@example.com>
    To: Mary Brown <                         -> "mary" (format "first.last", 2.5; wrong: "brown")

With ``order="last.first"`` the solved address is "smith.tom" and the answer "brown" (wrong:
"mary"): the problem 2.6 variant, "last name dot first name", where the format is read from the
example rather than the usual first-name-first. Names are one token with a leading space and
one token lowercased (``FIRST_NAMES``, ``LAST_NAMES``). Each prompt has a corrupted twin whose
second person is another one (for patching). Positions "answer name" (the second person's name
the answer copies, lowercased) and "other name" (the other half of that person's name).
"""

from __future__ import annotations

import dataclasses
import random

from catalog.prompts.natural_language import NLTask, build

N_PROMPTS = 100
ORDERS = ("first.last", "last.first")
FIRST_NAMES = ("Mary", "Anna", "Mark", "Jack", "Tom", "Amy", "Adam", "Ben", "Sam", "Max", "Eric", "Nick", "Grace")
LAST_NAMES = ("Smith", "Brown", "White", "Hall", "Young", "King", "Wright", "Green", "Hill", "Cook", "Reed", "Bell",
              "Ward", "Cox", "Wood", "Gray", "Price", "Long", "Ford", "Rice", "Stone", "Black", "Fox", "Lee", "Hart",
              "West", "Lane", "Grant", "Shaw", "Snow")  # fmt: skip
ANSWER, OTHER = 16, 17  # piece indices of the second person's first and last name


def header(example: tuple[str, str], person: tuple[str, str], order: str) -> list[str]:
    """The pieces of "From: <example> <address>\\nTo: <person> <"."""
    (first, last), local = example, (example if order == "first.last" else example[::-1])
    return ["From", ":", " " + first, " " + last, " <", local[0].lower(), ".", local[1].lower(), "@", "example", ".", "com",
            ">", "\n", "To", ":", " " + person[0], " " + person[1], " <"]


def email_prompts(tokenizer, order: str = "first.last", n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``n`` headers drawn with ``random.Random(seed)``: three people with distinct first and
    last names, the third replacing the second in the corrupted twin."""
    if order not in ORDERS:
        raise ValueError(f"order {order!r}: one of {ORDERS}")
    rng = random.Random(seed)
    rows, corrupted = [], []
    for _ in range(n):
        people = list(zip(rng.sample(FIRST_NAMES, 3), rng.sample(LAST_NAMES, 3)))
        answer, other = (0, 1) if order == "first.last" else (1, 0)
        where = {"answer name": ANSWER + answer, "other name": ANSWER + other}
        rows.append((header(people[0], people[1], order), people[1][answer].lower(), people[1][other].lower(), where))
        corrupted.append((header(people[0], people[2], order), people[1][answer].lower(), people[1][other].lower(), where))
    name = f"emails {order}"
    return dataclasses.replace(build(tokenizer, name, rows), corrupted=build(tokenizer, name, corrupted).tokens)
