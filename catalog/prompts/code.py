"""Code prompt sets for SmolLM2 (open problems 2.15, 2.16), seeded, built from pieces tokenized
one by one (``catalog.prompts.natural_language.build``): one length per set, known positions.

- ``html_closing_tags`` (2.15): three nested tags, the innermost closed, then "</":
  "<div><ul><b>hello</b></" -> "ul" (wrong: "div", the other tag still open). Tags are drawn
  at random from ``TAGS``, so HTML's nesting rules (``li`` inside ``ul``) are not followed.
  Positions "open" (the matching opening tag's name), "outer" (the other open tag's name).
- ``methods_by_type`` (2.16): two variables, one a list and one a dict, then one of them and
  ".": "x = []\\ny = {}\\nx." -> "append" (wrong: "update", the dict's method), the problem's
  own pair of methods. Positions "type" (the queried variable's literal, ``[]`` or ``{}``) and
  "other type" (the other variable's literal).
"""

from __future__ import annotations

import random

from catalog.prompts.natural_language import NLTask, build

N_PROMPTS = 100

# tag names that are one token after "<", "><", "</" and "></" (void elements such as img left out)
TAGS = ("div", "span", "p", "b", "i", "a", "em", "strong", "section", "article", "ul", "li", "ol", "table", "tr",
        "td", "th", "form", "label", "button", "nav", "header", "main", "code", "pre", "small", "select", "option")  # fmt: skip
CONTENT = ("hello", "text", "link", "name", "item", "title", "world", "data", "value", "click", "home", "menu", "page", "news")  # fmt: skip


def html_closing_tags(tokenizer, n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``n`` prompts "<A><B><C>word</C></" -> B (wrong: A), tags distinct, drawn with
    ``random.Random(seed)``."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        outer, tag, inner = rng.sample(TAGS, 3)
        pieces = ["<", outer, "><", tag, "><", inner, ">", rng.choice(CONTENT), "</", inner, "></"]
        rows.append((pieces, tag, outer, {"outer": 1, "open": 3}))
    return build(tokenizer, "html closing tags", rows)


VARIABLES = ("a", "b", "c", "d", "k", "m", "n", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z")
# literal -> the method its type has and the other type lacks
TYPES = ((" []", "append"), (" {}", "update"))


def methods_by_type(tokenizer, n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``n`` prompts: a list and a dict assigned to two distinct variables (in random order),
    then one of the two variables (at random) and "."; drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        names = rng.sample(VARIABLES, 2)
        types = rng.sample(TYPES, 2)
        pieces = [p for name, (literal, _) in zip(names, types) for p in (name, " =", literal, "\n")]
        query = rng.randrange(2)
        rows.append((pieces + [names[query], "."], types[query][1], types[1 - query][1],
                     {"type": 4 * query + 2, "other type": 4 * (1 - query) + 2}))
    return build(tokenizer, "methods by type", rows)
