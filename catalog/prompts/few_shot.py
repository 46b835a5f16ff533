"""Few-shot word classification (open problem 2.36, few-shot learning), seeded: ``shots``
labelled words, then a word whose category is the answer:

    - cat: animal
    - plum: fruit
    - dog: animal
    - pear:            -> " fruit" (wrong: " animal", the prompt's other label)

Each prompt has two of ``CATEGORIES`` (its two labels, natural single tokens) and draws its words
from them; the answer is the query's category, the wrong answer the other label. The prompts of
one prompt seed are the same for every shot count but for the number of demonstrations shown (the
first ``shots`` of the same 8), so the accuracies at different shot counts are paired per prompt. Labels are balanced: the query's
category cycles over the four (each the answer of a quarter of the prompts, the other label
drawn among the other three), and the demonstrations come in pairs of one word of each label
(in random order), so every even prefix has as many of each. Positions "label 1" ..
"label <shots>": the demonstrations' label tokens.
"""

from __future__ import annotations

import random

from catalog.prompts.natural_language import NLTask, build

N_PROMPTS = 100
SHOTS = (0, 1, 2, 4, 8)
CATEGORIES = {
    "animal": ("cat", "dog", "horse", "cow", "sheep", "pig", "lion", "bear", "wolf", "fox"),
    "fruit": ("apple", "banana", "pear", "grape", "lemon", "cherry", "peach", "plum", "mango", "lime"),
    "vehicle": ("car", "bus", "truck", "train", "bike", "boat", "ship", "plane", "taxi", "van"),
    "color": ("red", "blue", "green", "yellow", "black", "white", "pink", "purple", "brown", "grey"),
}  # fmt: skip


def few_shot_task(shots: int) -> str:
    """The name of the prompt set with ``shots`` demonstrations."""
    return f"few-shot {shots}"


def label_key(i: int) -> str:
    """The position name of the ``i``-th demonstration's label (from 1)."""
    return f"label {i}"


def few_shot_classification(tokenizer, shots: int, n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``n`` prompts of ``shots`` (at most ``max(SHOTS)``) labelled words "- word: label" and a
    query "- word:", drawn with ``random.Random(seed)`` (the same draws for every ``shots``); the
    query's category is the answer, the prompt's other category the wrong one."""
    rng, rows, names, pairs = random.Random(seed), [], sorted(CATEGORIES), max(SHOTS) // 2
    for i in range(n):
        right = names[i % len(names)]
        wrong = rng.choice([c for c in names if c != right])
        *shown, query = rng.sample(CATEGORIES[right], pairs + 1)
        demos = [d for pair in zip(shown, rng.sample(CATEGORIES[wrong], pairs))
                 for d in rng.sample([(pair[0], right), (pair[1], wrong)], 2)]
        pieces = [p for word, label in demos[:shots] for p in ("-", f" {word}", ":", f" {label}", "\n")]
        where = {label_key(j + 1): 5 * j + 3 for j in range(shots)}
        rows.append(([*pieces, "-", f" {query}", ":"], f" {right}", f" {wrong}", where))
    return build(tokenizer, few_shot_task(shots), rows)
