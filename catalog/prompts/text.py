"""Text prompt sets for SmolLM2: famous passages a language model may have memorised (open
problem 2.10), and a natural-English corpus (2.30, 2.38) cut from the Python standard library's
docstrings (human-written prose that is on every machine; no hub data set is reachable here).

- ``memorised_prompts``: each prompt is a famous passage cut after a seeded number of tokens;
  the next ``CONTINUATION`` tokens of the passage are the continuation to reproduce. One forward
  pass over the passages serves every prompt.
- ``docstring_corpus``: ``n`` seeded windows of ``length`` tokens from the docstrings of
  ``DOC_MODULES`` (their prose paragraphs; doctest and parameter lines are dropped). The text
  depends on the Python version's docstrings (3.11 here).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import random

import torch

CONTINUATION = 8
MIN_PREFIX = 8

FAMOUS_PASSAGES = (
    "3.14159265358979323846264338327950288419716939937510582097494459",
    "2.71828182845904523536028747135266249775724709369995957496696762",
    "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer The slings and arrows of outrageous fortune, Or to take arms against a sea of troubles",
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the \"Software\"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software",
    "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
    "We hold these truths to be self-evident, that all men are created equal, that they are endowed by their Creator with certain unalienable Rights, that among these are Life, Liberty and the pursuit of Happiness.",
    "Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in Liberty, and dedicated to the proposition that all men are created equal.",
    "Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use this file except in compliance with the License. You may obtain a copy of the License at",
    "This program is free software: you can redistribute it and/or modify it under the terms of the GNU General Public License as published by the Free Software Foundation, either version 3 of the License, or (at your option) any later version.",
    "We the People of the United States, in Order to form a more perfect Union, establish Justice, insure domestic Tranquility, provide for the common defence, promote the general Welfare, and secure the Blessings of Liberty to ourselves and our Posterity",
    "I pledge allegiance to the Flag of the United States of America, and to the Republic for which it stands, one Nation under God, indivisible, with liberty and justice for all.",
    "In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep.",
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity,",
    "Redistribution and use in source and binary forms, with or without modification, are permitted provided that the following conditions are met:",
    "Twinkle, twinkle, little star, How I wonder what you are! Up above the world so high, Like a diamond in the sky.",
    "Humpty Dumpty sat on a wall, Humpty Dumpty had a great fall. All the king's horses and all the king's men Couldn't put Humpty together again.",
    "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
    "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, and nothing particular to interest me on shore,",
    "Our Father, which art in heaven, Hallowed be thy Name. Thy Kingdom come. Thy will be done in earth, As it is in heaven.",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class MemorisedPrompts:
    """tokens: [n_passages, seq] (BOS + passage, right-padded); lengths: [n_passages] tokens
    before the padding; passage, cut: [n] each prompt's passage and its last prompt position:
    positions cut .. cut + CONTINUATION - 1 predict the continuation."""

    tokens: torch.Tensor
    lengths: torch.Tensor
    passage: torch.Tensor
    cut: torch.Tensor

    def continuation_positions(self) -> torch.Tensor:
        """[n, CONTINUATION]: the positions whose next tokens are each prompt's continuation."""
        return self.cut[:, None] + torch.arange(CONTINUATION)


def memorised_prompts(tokenizer, n: int = 100, seed: int = 0) -> MemorisedPrompts:
    """``n`` prompts: a passage of ``FAMOUS_PASSAGES`` (each ``n // len`` times, in order) cut
    after at least ``MIN_PREFIX`` of its tokens, at a point drawn with ``random.Random(seed)``
    that leaves ``CONTINUATION`` tokens after it."""
    rows = [[tokenizer.bos_token_id, *tokenizer.encode(text, add_special_tokens=False)] for text in FAMOUS_PASSAGES]
    lengths = torch.tensor([len(row) for row in rows])
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    tokens = torch.tensor([row + [pad] * (int(lengths.max()) - len(row)) for row in rows])
    rng = random.Random(seed)
    passage = torch.arange(n) % len(rows)
    cut = torch.tensor([rng.randint(MIN_PREFIX, int(lengths[p]) - CONTINUATION - 1) for p in passage.tolist()])
    return MemorisedPrompts(tokens, lengths, passage, cut)


DOC_MODULES = ("argparse", "collections", "csv", "datetime", "email.message", "functools", "http.client", "json",
               "logging", "os", "pathlib", "random", "re", "shutil", "statistics", "string", "subprocess",
               "textwrap", "threading", "unittest")  # fmt: skip


def prose_paragraphs(module_name: str) -> list[str]:
    """The docstring paragraphs of a module and its public members that read as prose (mostly
    letters, at least 20 words, no doctest or indented lines)."""
    module = importlib.import_module(module_name)
    docs = [inspect.getdoc(module)] + [inspect.getdoc(obj) for name, obj in sorted(vars(module).items())
                                       if not name.startswith("_") and getattr(obj, "__module__", None) == module_name]
    paragraphs = [p for doc in docs if doc for p in doc.split("\n\n")]
    return [" ".join(p.split()) for p in paragraphs
            if len(p.split()) >= 20 and ">>>" not in p and "\n " not in p
            and sum(c.isalpha() or c.isspace() for c in p) >= 0.9 * len(p)]


def docstring_corpus(tokenizer, n: int = 100, length: int = 32, seed: int = 0) -> torch.Tensor:
    """[n, 1 + length]: BOS and ``length`` tokens of prose, ``n`` windows drawn with
    ``random.Random(seed)`` from the paragraphs of ``DOC_MODULES`` that are long enough."""
    encoded = [tokenizer.encode(p, add_special_tokens=False) for m in DOC_MODULES for p in prose_paragraphs(m)]
    long_enough = [ids for ids in encoded if len(ids) >= length]
    rng = random.Random(seed)
    windows = []
    for ids in (rng.choice(long_enough) for _ in range(n)):
        start = rng.randint(0, len(ids) - length)
        windows.append([tokenizer.bos_token_id, *ids[start : start + length]])
    return torch.tensor(windows)
