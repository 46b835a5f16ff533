"""Indirect-object-identification (IOI) prompts, after Wang et al. 2022 ("Interpretability in
the Wild", arXiv:2211.00593), section 2 and appendix.

A prompt names two people, then repeats one of them (the subject S) as the giver; the model
should complete with the other one, the indirect object (IO):

    ABBA: "Then, Mary and John went to the store. John gave a drink to" -> " Mary"
    BABA: "Then, John and Mary went to the store. John gave a drink to" -> " Mary"

The corrupted "ABC" distribution (the paper's p_ABC, used as the reference of path patching)
keeps each prompt's template, place and object but puts three fresh distinct names in the
three name slots, so that no name is repeated and the IO is no longer identifiable.

Every template is 15 tokens long for the SmolLM2 tokenizer and every name, place and object is
one token with its leading space (tests/test_nl_prompts.py checks both), so a batch is a plain
``[n, seq]`` tensor and all positions are per-prompt indices. For another tokenizer (GPT-2's)
``ioi_prompts`` keeps the words that are single tokens and the templates of the most common
length.
"""

from __future__ import annotations

import dataclasses
import random

import torch


TEMPLATES: tuple[str, ...] = (
    "Then, {A} and {B} went to the {PLACE}. {B} gave a {OBJECT} to",
    "While {A} and {B} were working at the {PLACE}, {B} gave a {OBJECT} to",
    "Friends {A} and {B} found a {OBJECT} at the {PLACE}. {B} gave it to",
    "After {A} and {B} went to the {PLACE}, {B} then gave a {OBJECT} to",
    "When {A} and {B} arrived at the {PLACE}, {B} quickly handed a {OBJECT} to",
    "When {A} and {B} got a {OBJECT} at the {PLACE}, {B} gave it to",
    "Then, {A} and {B} had a long argument, and afterwards {B} said to",
    "Then, {A} and {B} went to the {PLACE}. {B} handed a {OBJECT} to",
    "The {PLACE} was busy when {A} and {B} arrived. {B} passed a {OBJECT} to",
    "Today {A} and {B} met at the {PLACE}, and {B} brought a {OBJECT} to",
)

NAMES: tuple[str, ...] = (
    "Mary", "John", "Alice", "Bob", "Tom", "James", "Sarah", "Michael", "David", "Emma", "Anna",
    "Paul", "Mark", "Kate", "Lisa", "Peter", "Jack", "Daniel", "Rachel", "Laura", "Chris", "Sam",
    "Ben", "Max", "Lucy", "Amy", "Jane", "Robert", "William", "Richard", "Thomas", "Joseph",
    "Charles", "George", "Steven", "Kevin", "Brian", "Jason", "Matthew", "Andrew", "Ryan",
    "Jacob", "Eric", "Adam", "Justin", "Jennifer", "Linda", "Elizabeth", "Susan", "Jessica",
    "Karen", "Nancy", "Helen", "Sandra", "Carol", "Ruth", "Michelle", "Emily", "Anne", "Alex",
    "Henry", "Victoria", "Claire", "Grace", "Rose", "Leo", "Oscar", "Harry", "Jake", "Sophie",
)  # fmt: skip

PLACES: tuple[str, ...] = (
    "store", "park", "school", "hospital", "restaurant", "station", "office", "garden", "beach",
    "market", "library", "museum", "church", "house", "kitchen", "river", "lake", "bank", "zoo",
    "airport", "farm", "hotel",
)  # fmt: skip

OBJECTS: tuple[str, ...] = (
    "drink", "ring", "book", "kiss", "bone", "basketball", "computer", "necklace", "letter",
    "snack", "ball", "gift", "pen", "key", "cake", "flower", "hat", "phone", "bag", "card",
    "apple", "coin", "map", "toy",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class IOIPrompts:
    """A batch of IOI prompts and its ABC corruption, tokenized.

    tokens, corrupted: [n, seq] (same template, place and object row by row);
    io, s: [n] token ids of " IO" and " S" (the clean prompt's answer and distractor);
    positions: {"IO", "S1", "S1+1", "S2", "end"} -> [n] token positions in ``tokens`` (S1 the
    first mention of S, S1+1 the token after it, S2 the repeat, end the last token, where the
    name is predicted);
    orders: "ABBA" or "BABA" per prompt (whether IO or S is named first);
    templates: [n] index in ``TEMPLATES`` of each prompt's template (its ABC corruption's too).
    """

    texts: tuple[str, ...]
    corrupted_texts: tuple[str, ...]
    tokens: torch.Tensor
    corrupted: torch.Tensor
    io: torch.Tensor
    s: torch.Tensor
    positions: dict[str, torch.Tensor]
    orders: tuple[str, ...]
    templates: torch.Tensor

    def __len__(self) -> int:
        return len(self.texts)


def render(template: str, first: str, second: str, giver: str, place: str, obj: str) -> str:
    """``template`` with the two introduced names, the giver (the second ``{B}``), place, object."""
    head, tail = template.rsplit("{B}", 1)
    return head.format(A=first, B=second, PLACE=place, OBJECT=obj) + giver + tail.format(
        PLACE=place, OBJECT=obj
    )


def single_token_ids(tokenizer, words: list[str]) -> list[int]:
    """Token id of each `` word`` (with its leading space); raises if one is not one token."""
    ids = []
    for word in words:
        encoded = tokenizer.encode(" " + word, add_special_tokens=False)
        if len(encoded) != 1:
            raise ValueError(f"{word!r} is {len(encoded)} tokens for this tokenizer")
        ids.append(encoded[0])
    return ids


def single_tokens(tokenizer, words: tuple[str, ...]) -> tuple[str, ...]:
    """The ``words`` that are one known token (not the unknown token) with their leading space."""
    encoded = {w: tokenizer.encode(" " + w, add_special_tokens=False) for w in words}
    return tuple(w for w, ids in encoded.items() if len(ids) == 1 and ids[0] != tokenizer.unk_token_id)


def most_common_length(tokenizer, templates: tuple[str, ...]) -> tuple[str, ...]:
    """The templates whose token count (filled with one-token words) is the most common one."""
    lengths = [len(tokenizer.encode(render(t, "Mary", "John", "John", "store", "drink"), add_special_tokens=False))
               for t in templates]
    common = max(set(lengths), key=lengths.count)
    return tuple(t for t, length in zip(templates, lengths) if length == common)


def tokenize(tokenizer, texts: list[str], prepend_bos: bool) -> torch.Tensor:
    """[n, seq] token ids; raises if the texts do not all have the same length."""
    rows = [tokenizer.encode(text, add_special_tokens=False) for text in texts]
    if prepend_bos:
        rows = [[tokenizer.bos_token_id, *row] for row in rows]
    lengths = {len(row) for row in rows}
    if len(lengths) != 1:
        raise ValueError(f"prompts tokenize to different lengths {sorted(lengths)}")
    return torch.tensor(rows)


def ioi_prompts(
    tokenizer,
    n: int,
    seed: int,
    prepend_bos: bool = True,
    templates: tuple[str, ...] = TEMPLATES,
) -> IOIPrompts:
    """``n`` IOI prompts, alternately ABBA and BABA, with names, template, place and object
    drawn with ``random.Random(seed)``; the ABC corruption draws three further distinct names.

    ``prepend_bos``: start every row with the tokenizer's BOS token (SmolLM2: ``<|im_start|>``).
    A prompt's template id is its template's index in ``templates``.
    """
    names, places, objects = (single_tokens(tokenizer, words) for words in (NAMES, PLACES, OBJECTS))
    given = templates  # template ids index this tuple
    templates = most_common_length(tokenizer, templates)
    rng = random.Random(seed)
    texts, corrupted_texts, io_names, s_names, orders, template_ids = [], [], [], [], [], []
    for i in range(n):
        template, place, obj = rng.choice(templates), rng.choice(places), rng.choice(objects)
        io, s, a, b, c = rng.sample(names, 5)
        order = "ABBA" if i % 2 == 0 else "BABA"
        first, second = (io, s) if order == "ABBA" else (s, io)
        texts.append(render(template, first, second, s, place, obj))
        corrupted_texts.append(render(template, a, b, c, place, obj))
        io_names.append(io)
        s_names.append(s)
        orders.append(order)
        template_ids.append(given.index(template))
    tokens = tokenize(tokenizer, texts, prepend_bos)
    io_ids = torch.tensor(single_token_ids(tokenizer, io_names))
    s_ids = torch.tensor(single_token_ids(tokenizer, s_names))
    return IOIPrompts(
        texts=tuple(texts),
        corrupted_texts=tuple(corrupted_texts),
        tokens=tokens,
        corrupted=tokenize(tokenizer, corrupted_texts, prepend_bos),
        io=io_ids,
        s=s_ids,
        positions=name_positions(tokens, io_ids, s_ids),
        orders=tuple(orders),
        templates=torch.tensor(template_ids),
    )


def swapped_name_order(prompts: IOIPrompts) -> torch.Tensor:
    """[n, seq] the prompts with the IO and the subject's first mention exchanged (ABBA <-> BABA):
    the same names and answer, the subject's first mention at the other name slot (what moves is
    where the names are, for open problem 4.23)."""
    tokens, rows, pos = prompts.tokens.clone(), torch.arange(len(prompts)), prompts.positions
    tokens[rows, pos["IO"]], tokens[rows, pos["S1"]] = prompts.s, prompts.io
    return tokens


def replaced_subject(prompts: IOIPrompts) -> torch.Tensor:
    """[n, seq] the prompts with both subject mentions replaced by a third name (the ABC
    prompt's giver, distinct from the IO and S): the same positions, another subject token (what
    moves is which name is repeated, for open problem 4.23)."""
    tokens, rows, pos = prompts.tokens.clone(), torch.arange(len(prompts)), prompts.positions
    third = prompts.corrupted[rows, pos["S2"]]
    tokens[rows, pos["S1"]], tokens[rows, pos["S2"]] = third, third
    return tokens


def name_positions(tokens: torch.Tensor, io: torch.Tensor, s: torch.Tensor) -> dict[str, torch.Tensor]:
    """{"IO", "S1", "S1+1", "S2", "end"} -> [n] positions of the IO, the two S mentions, the
    token after S1 and the last token. tokens: [n, seq]; io, s: [n]."""
    pos = torch.arange(tokens.shape[1]).expand_as(tokens)
    is_io, is_s = tokens == io[:, None], tokens == s[:, None]
    if not ((is_io.sum(1) == 1).all() and (is_s.sum(1) == 2).all()):
        raise ValueError("each prompt must hold the IO once and the subject twice")
    s_pos = pos[is_s].view(-1, 2)
    return {
        "IO": pos[is_io],
        "S1": s_pos[:, 0],
        "S1+1": s_pos[:, 0] + 1,
        "S2": s_pos[:, 1],
        "end": torch.full((tokens.shape[0],), tokens.shape[1] - 1),
    }


# Wang et al. 2022's head classes and the positions where the circuit keeps each (figure 2 and
# section 4; the authors' code, redwoodresearch/Easy-Transformer ioi_circuit_extraction.py,
# RELEVANT_TOKENS: movers and S-inhibition at "end", induction and duplicate-token at "S2",
# previous-token at "S+1")
CLASS_POSITIONS: dict[str, tuple[str, ...]] = {
    "name mover": ("end",),
    "backup name mover": ("end",),
    "negative name mover": ("end",),
    "s-inhibition": ("end",),
    "induction": ("S2",),
    "duplicate token": ("S2",),
    "previous token": ("S1+1",),
}

# the IOI claims' prompt set (they run on the ``causal-lm`` group): N_PROMPTS prompts drawn with DATA_SEED
N_PROMPTS = 100
DATA_SEED = 0
