"""Factual-recall prompts for causal tracing (open problem 2.7; Meng et al. 2022 traced
CounterFact / known-fact statements, these are built here): a country's capital in several
templates, the country (the subject) and the capital one token each with SmolLM2's tokenizer
(checked in tests). Prompts of one template share a length and the subject's position, so a
set is a list of per-template batches."""

from __future__ import annotations

import dataclasses
import random

import torch

from catalog.prompts.natural_language import token_id

CAPITALS = (
    ("France", "Paris"), ("Germany", "Berlin"), ("Japan", "Tokyo"), ("Italy", "Rome"), ("Spain", "Madrid"),
    ("Russia", "Moscow"), ("China", "Beijing"), ("Egypt", "Cairo"), ("Canada", "Ottawa"), ("England", "London"),
    ("Greece", "Athens"), ("Austria", "Vienna"), ("Ireland", "Dublin"), ("Portugal", "Lisbon"), ("Poland", "Warsaw"),
    ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Denmark", "Copenhagen"), ("Finland", "Helsinki"),
    ("Hungary", "Budapest"), ("Kenya", "Nairobi"), ("India", "Delhi"), ("Peru", "Lima"), ("Cuba", "Havana"),
    ("Iran", "Tehran"), ("Iraq", "Baghdad"), ("Syria", "Damascus"), ("Belgium", "Brussels"),
    ("Netherlands", "Amsterdam"), ("Switzerland", "Bern"), ("Chile", "Santiago"), ("Afghanistan", "Kabul"),
    ("Philippines", "Manila"), ("Korea", "Seoul"), ("Bulgaria", "Sofia"), ("Scotland", "Edinburgh"),
    ("Wales", "Cardiff"), ("Australia", "Canberra"), ("Israel", "Jerusalem"),
)  # fmt: skip
TEMPLATES = ("The capital of {} is", "The capital city of {} is", "In {}, the capital city is called",
             "The capital of {} is the city of")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class FactBatch:
    """One template's prompts. tokens: [n, seq] (BOS first); answers: [n] the capital's token;
    subject: [n] the country's position; texts: the prompts."""

    texts: tuple[str, ...]
    tokens: torch.Tensor
    answers: torch.Tensor
    subject: torch.Tensor


def capital_prompts(tokenizer, n: int = 100, seed: int = 0) -> list[FactBatch]:
    """``n`` (country, template) pairs drawn without replacement with ``random.Random(seed)``,
    as one ``FactBatch`` per template."""
    pairs = random.Random(seed).sample([(c, t) for c in CAPITALS for t in range(len(TEMPLATES))], n)
    batches = []
    for t, template in enumerate(TEMPLATES):
        chosen = [country for country, which in pairs if which == t]
        before, after = template.split("{}")
        head, tail = (tokenizer.encode(text, add_special_tokens=False) for text in (before.rstrip(), after))
        rows = [[tokenizer.bos_token_id, *head, token_id(tokenizer, " " + c), *tail] for c, _ in chosen]
        batches.append(FactBatch(
            texts=tuple(template.format(c) for c, _ in chosen), tokens=torch.tensor(rows),
            answers=torch.tensor([token_id(tokenizer, " " + capital) for _, capital in chosen]),
            subject=torch.full((len(rows),), 1 + len(head))))
    return batches
