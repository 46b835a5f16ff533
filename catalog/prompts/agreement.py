"""Subject-verb number agreement across an attractor (open problem 2.13, our natural-language
behaviour), seeded, built from pieces tokenized one by one (``catalog.prompts.natural_language.build``).

"The keys to the cabinet" -> " are" (wrong: " is"): the subject and the noun of the
prepositional phrase (the attractor, Linzen et al. 2016; Finlayson et al. 2021, "Causal analysis
of syntactic agreement mechanisms in neural language models", their "across a prepositional
phrase" template) always differ in number, so copying the number of the nearest noun gives the
wrong verb. Half the prompts have a singular subject, half a plural one; the verb pair is
" is"/" are" or " was"/" were". Positions "subject" and "attractor" (the last token).
"""

from __future__ import annotations

import random

from catalog.prompts.natural_language import NLTask, build

N_PROMPTS = 100

# nouns whose singular and "s" plural are one token each after a space (SmolLM2's tokenizer)
NOUNS = ("key", "book", "dog", "car", "door", "girl", "boy", "letter", "picture", "teacher", "friend", "table", "house",
         "window", "student", "bird", "tree", "flower", "chair", "lamp", "song", "game", "road", "river", "bottle", "cup",
         "phone", "computer", "shoe", "bag", "doctor", "player", "worker", "painting", "report", "plan", "wall", "bridge",
         "tower", "ship", "train", "star", "horse", "cat")  # fmt: skip
PREPOSITIONS = (" near", " behind", " beside", " under", " by", " of", " on")
VERBS = ((" is", " are"), (" was", " were"))  # (singular, plural)


def subject_verb_agreement(tokenizer, n: int = N_PROMPTS, seed: int = 0) -> NLTask:
    """``n`` prompts "The <subject> <preposition> the <attractor>" -> the verb agreeing with the
    subject (wrong: the one agreeing with the attractor); subject and attractor distinct nouns of
    opposite number, prompt i plural when i is odd, drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        subject, attractor = rng.sample(NOUNS, 2)
        plural = i % 2 == 1
        singular_verb, plural_verb = rng.choice(VERBS)
        pieces = ["The", f" {subject}{'s' * plural}", rng.choice(PREPOSITIONS), " the", f" {attractor}{'s' * (not plural)}"]
        correct, wrong = (plural_verb, singular_verb) if plural else (singular_verb, plural_verb)
        rows.append((pieces, correct, wrong, {"subject": 1, "attractor": 4}))
    return build(tokenizer, "subject-verb agreement", rows)
