"""Prompt sets for representation-geometry claims (issue #18), seeded and model-independent up
to tokenization.

- ``weekday_prompts`` (4.17): "<name> said that today is Monday, so tomorrow is" -> " Tuesday";
  every day with each (template, name) pair, so the day token sits at one position per group.
- ``genre_texts`` (4.27): code and prose from the Python standard library's own source: a
  function's code with its docstring removed (code) and docstring paragraphs (prose).
"""

from __future__ import annotations

import ast
import dataclasses
import random
import sysconfig
from pathlib import Path

import torch

from catalog.prompts.natural_language import token_id

WEEKDAYS = (" Monday", " Tuesday", " Wednesday", " Thursday", " Friday", " Saturday", " Sunday")
WEEKDAY_TEMPLATES = (
    "{name} said that today is{day}, so tomorrow is",
    "If today is{day} for{name}, then tomorrow is",
    "{name}: Today is{day}. Tomorrow will be",
    "Yesterday was not the point;{name} knows today is{day} and tomorrow is",
    "The meeting with{name} is on{day}. The day after that is",
)
NAMES = (" John", " Mary", " Anna", " Tom", " Sarah", " David", " Emma", " James")


@dataclasses.dataclass(frozen=True)
class WeekdayGroup:
    """One (template, name) pair with each day: tokens [7, seq] (BOS first), day in row order;
    ``day_position``: the day token's position."""

    template: str
    tokens: torch.Tensor
    day_position: int


def weekday_prompts(tokenizer, n_templates: int, n_names: int, seed: int) -> list[WeekdayGroup]:
    """``n_templates`` x ``n_names`` groups of 7 prompts (one per day), drawn with ``seed``."""
    rng = random.Random(seed)
    groups = []
    for template in rng.sample(WEEKDAY_TEMPLATES, n_templates):
        for name in rng.sample(NAMES, n_names):
            text = template.replace("{name}", name)
            before, after = text.split("{day}")
            prefix = [tokenizer.bos_token_id, *tokenizer.encode(before, add_special_tokens=False)]
            suffix = tokenizer.encode(after, add_special_tokens=False)
            rows = [[*prefix, token_id(tokenizer, day), *suffix] for day in WEEKDAYS]
            groups.append(WeekdayGroup(text, torch.tensor(rows), len(prefix)))
    return groups


def weekday_ids(tokenizer) -> torch.Tensor:
    """[7] token ids of the days, Monday first."""
    return torch.tensor([token_id(tokenizer, day) for day in WEEKDAYS])


def stdlib_samples(n_files: int, seed: int) -> tuple[list[str], list[str]]:
    """(code, prose) from ``n_files`` standard-library modules drawn with ``seed``: every function
    body with its docstring removed, and every docstring paragraph of at least 200 characters."""
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    code, prose = [], []
    for path in random.Random(seed).sample(files, n_files):
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.body:
                body = node.body[1:] if ast.get_docstring(node) else node.body
                if body:
                    code.append("\n".join(ast.get_source_segment(source, stmt) or "" for stmt in body))
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and ast.get_docstring(node):
                prose += [" ".join(p.split()) for p in ast.get_docstring(node).split("\n\n") if len(p) >= 200]
    return code, prose


def genre_texts(tokenizer, n_per_genre: int, n_tokens: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(tokens [2 n, 1 + n_tokens] BOS first, labels [2 n]: 1 code, 0 prose): ``n_per_genre``
    texts of each genre with at least ``n_tokens`` tokens, cut to their first ``n_tokens``."""
    code, prose = stdlib_samples(n_files=60, seed=seed)
    rng = random.Random(seed)
    rows, labels = [], []
    for label, texts in ((1, code), (0, prose)):
        ids = [tokenizer.encode(t, add_special_tokens=False) for t in texts]
        long = [i[:n_tokens] for i in ids if len(i) >= n_tokens]
        chosen = rng.sample(long, n_per_genre)
        rows += [[tokenizer.bos_token_id, *i] for i in chosen]
        labels += [label] * n_per_genre
    return torch.tensor(rows), torch.tensor(labels)
