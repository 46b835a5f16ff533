"""Natural-language behaviour prompts (open problems 2.2, 2.4, 2.8, 2.12, 2.14), each with a
correct and a wrong next token, so behaviour is a logit difference at the last position.

Prompts are built from pieces tokenized one by one (every variable piece one token, checked),
so all prompts of a task have the same length and known positions (``NLTask.positions``).

- ``sequence_continuation`` (2.2): "1 2 3 4 " -> "5", "Monday, Tuesday, Wednesday, Thursday,"
  -> " Friday", months likewise; wrong: the last item again.
- ``acronyms`` (2.4): "The Ocean Research Group (ORG) and the National Film Union (" -> the first
  token of "NFU"; wrong: the first token of the first acronym.
- ``capital_after_full_stop`` (2.8): "The cat was happy." -> " The" rather than " the" (the
  pair cycles over The/He/She/It/They/We/This/There); ``comma=True`` gives the control
  "The cat was happy," where lowercase should win.
- ``pronouns`` (2.12): "Today Mary is a great friend, isn't" -> " she" (not " he").
- ``closing_brackets`` (2.14): "The values are (1, 2, 3" -> ")" (wrong: "]" or "}").
"""

from __future__ import annotations

import dataclasses
import functools
import random

import torch



@dataclasses.dataclass(frozen=True)
class NLTask:
    """tokens: [n, seq] (BOS first); correct, wrong: [n] token ids predicted at the last
    position; positions: name -> [n] positions of a named piece (e.g. "open" bracket), and
    "end", the last position; corrupted: [n, seq] where the set has one, the same prompts with
    the pieces the answer depends on replaced (for patching)."""

    name: str
    texts: tuple[str, ...]
    tokens: torch.Tensor
    correct: torch.Tensor
    wrong: torch.Tensor
    positions: dict[str, torch.Tensor]
    corrupted: torch.Tensor | None = None


def token_id(tokenizer, piece: str) -> int:
    ids = tokenizer.encode(piece, add_special_tokens=False)
    if len(ids) != 1:
        raise ValueError(f"{piece!r} is {len(ids)} tokens for this tokenizer")
    return ids[0]


def build(tokenizer, name: str, rows: list[tuple[list[str], str, str, dict[str, int]]]) -> NLTask:
    """rows: (pieces, correct piece, wrong piece, {position name: piece index}) -> NLTask.
    Every piece must be one token; a BOS token is prepended (positions shift by one)."""
    tokens = [[tokenizer.bos_token_id, *(token_id(tokenizer, p) for p in pieces)] for pieces, *_ in rows]
    if len({len(row) for row in tokens}) != 1:
        raise ValueError(f"{name}: prompts of different lengths")
    names = rows[0][3].keys()
    return NLTask(
        name=name,
        texts=tuple("".join(pieces) for pieces, *_ in rows),
        tokens=torch.tensor(tokens),
        correct=torch.tensor([token_id(tokenizer, c) for _, c, _, _ in rows]),
        wrong=torch.tensor([token_id(tokenizer, w) for _, _, w, _ in rows]),
        positions={**{key: torch.tensor([where[key] + 1 for *_, where in rows]) for key in names},
                   "end": torch.full((len(rows),), len(tokens[0]) - 1)},
    )


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip


def sequence_continuation(tokenizer) -> NLTask:
    """Digits 1-5 .. 5-9 (space-separated), every weekday and every month start (comma-separated,
    wrapping around): four items, the fifth to predict. 24 prompts of 8 tokens + BOS."""
    rows = []
    for start in range(1, 6):
        items = [str(start + i) for i in range(5)]
        pieces = [p for item in items[:4] for p in (item, " ")]
        rows.append((pieces, items[4], items[3], {}))
    for cycle in (WEEKDAYS, MONTHS):
        for start in range(len(cycle)):
            items = [cycle[(start + i) % len(cycle)] for i in range(5)]
            pieces = [items[0], ","] + [p for item in items[1:4] for p in (" " + item, ",")]
            rows.append((pieces, " " + items[4], " " + items[3], {}))
    return build(tokenizer, "sequence continuation", rows)


ACRONYM_WORDS = (
    "Group", "Union", "Friendship", "Society", "National", "International", "Research", "Science",
    "Health", "Energy", "Water", "Food", "Bank", "Trade", "Global", "Digital", "Space", "Ocean",
    "Forest", "Mountain", "River", "Student", "Teacher", "Medical", "Royal", "Free", "Open",
    "Public", "Central", "Northern", "Southern", "Eastern", "Western", "United", "American",
    "British", "European", "Council", "Foundation", "Institute", "Association", "Agency",
    "Network", "Center", "Alliance", "Committee", "Board", "League", "Party", "Club", "Team",
    "Project", "Program", "Service", "System", "Technology", "Education", "Development",
    "Security", "Justice", "Peace", "Power", "Green", "Blue", "Golden", "Silver", "Modern",
    "Ancient", "Young", "Future", "Music", "Film", "Sports", "Business", "Law", "Data", "Kids",
    "Family", "Community", "Safety", "Quality", "Action", "Media", "Press", "Local", "City",
    "County", "State", "World", "Marine", "Road", "Rail",
)  # fmt: skip


def acronyms(tokenizer, n: int = 32, seed: int = 0) -> NLTask:
    """Two three-word names, each followed by its acronym; the second acronym's first token
    is to be predicted. Acronyms are kept when they tokenize to exactly two tokens (so all
    prompts have one length) and the two acronyms' first tokens differ. Positions "word1"
    .. "word3": the words of the second name."""
    rng = random.Random(seed)
    rows = []
    while len(rows) < n:
        words = rng.sample(ACRONYM_WORDS, 6)
        first, second = words[:3], words[3:]
        acr1, acr2 = ("".join(w[0] for w in words) for words in (first, second))
        split1, split2 = (tokenizer.encode(a, add_special_tokens=False) for a in (acr1, acr2))
        if len(split1) != 2 or len(split2) != 2 or split1[0] == split2[0]:
            continue
        decoded1 = [tokenizer.decode([t]) for t in split1]
        pieces = ["The", *(" " + w for w in first), " (", *decoded1, ")", " and", " the", *(" " + w for w in second), " ("]
        rows.append((pieces, tokenizer.decode([split2[0]]), decoded1[0], {"word1": 10, "word2": 11, "word3": 12}))
    return build(tokenizer, "acronyms", rows)


NOUNS = ("cat", "dog", "man", "woman", "child", "house", "car", "room", "sky", "food", "water", "book",
         "teacher", "doctor", "city", "road", "garden", "door", "window", "music")  # fmt: skip
ADJECTIVES = ("happy", "sad", "big", "small", "old", "new", "cold", "warm", "quiet", "loud", "dark",
              "clean", "empty", "full", "late", "ready")  # fmt: skip
CAPITAL_PAIRS = (("The", "the"), ("He", "he"), ("She", "she"), ("It", "it"), ("They", "they"),
                 ("We", "we"), ("This", "this"), ("There", "there"))  # fmt: skip


def capital_after_full_stop(tokenizer, n: int = 32, seed: int = 0, comma: bool = False) -> NLTask:
    """"The <noun> was <adjective>." (or "," with ``comma``): correct is the capitalised word of
    a pair, wrong its lowercase form (pairs cycle over ``CAPITAL_PAIRS``)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        upper, lower = CAPITAL_PAIRS[i % len(CAPITAL_PAIRS)]
        pieces = ["The", " " + rng.choice(NOUNS), " was", " " + rng.choice(ADJECTIVES), "," if comma else "."]
        rows.append((pieces, " " + upper, " " + lower, {"stop": 4}))
    return build(tokenizer, "capital after " + ("comma" if comma else "full stop"), rows)


FEMALE_NAMES = ("Mary", "Sarah", "Emma", "Anna", "Kate", "Lisa", "Rachel", "Laura", "Lucy", "Amy",
                "Jane", "Jennifer", "Linda", "Susan", "Jessica", "Karen")  # fmt: skip
MALE_NAMES = ("John", "James", "Michael", "David", "Paul", "Mark", "Peter", "Jack", "Daniel", "Tom",
              "Robert", "William", "Richard", "Thomas", "George", "Kevin")  # fmt: skip
ROLES = ("friend", "teacher", "doctor", "person", "student", "neighbour", "cook", "singer", "writer",
         "player", "leader", "partner")  # fmt: skip


def pronouns(tokenizer, seed: int = 0) -> NLTask:
    """"Today <name> is a great <role>, isn't" -> " she" / " he" by the name's usual gender
    (32 prompts, half female). Position "name"."""
    rng = random.Random(seed)
    rows = []
    for female, male in zip(FEMALE_NAMES, MALE_NAMES):
        for name, right, wrong in ((female, " she", " he"), (male, " he", " she")):
            pieces = ["Today", " " + name, " is", " a", " great", " " + rng.choice(ROLES), ",", " isn", "'t"]
            rows.append((pieces, right, wrong, {"name": 1}))
    return build(tokenizer, "pronouns", rows)


BRACKETS = ((" (", ")"), (" [", "]"), (" {", "}"))


def closing_brackets(tokenizer, n: int = 30, seed: int = 0) -> NLTask:
    """"The values are (1, 2, 3" -> ")" (brackets cycle over (), [], {}); wrong: the closer of
    the next bracket type. Position "open"."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        (opener, closer), (_, wrong) = BRACKETS[i % 3], BRACKETS[(i + 1) % 3]
        a, b, c = (str(rng.randrange(10)) for _ in range(3))
        pieces = ["The", " values", " are", opener, a, ",", " ", b, ",", " ", c]
        rows.append((pieces, closer, wrong, {"open": 3}))
    return build(tokenizer, "closing brackets", rows)


TASKS = {
    "sequence continuation": sequence_continuation,
    "acronyms": acronyms,
    "capital after full stop": capital_after_full_stop,
    "capital after comma": functools.partial(capital_after_full_stop, comma=True),
    "pronouns": pronouns,
    "closing brackets": closing_brackets,
}
