"""The offline corpus: deduplication, prose/code mix, split, hashes and what is missing; the BPE
tokenizer and the token stream."""

import gzip

import torch

from catalog.corpus import STANDIN_CORPUS, TEXT_CORPUS
from harness.models.corpus import (
    END_OF_TEXT,
    Corpus,
    Source,
    TokenStream,
    corpus_splits,
    corpus_tokens,
    read_man_page,
    tensor_text,
)
from tests.models.text_fixtures import tiny_corpus, write_tiny_files


def test_build_deduplicates_mixes_and_splits_deterministically(tmp_path):
    corpus = tiny_corpus(write_tiny_files(tmp_path))
    split, stats = corpus.build()
    assert stats["sources"]["prose"] == {"documents": 12, "duplicates": 1}  # trailing blank lines normalised away
    assert stats["chars"]["code"] <= stats["chars"]["prose"] * 0.2 / 0.8
    assert stats["chars"]["code"] > 0 and stats["missing"] == []
    assert sum(stats["documents"].values()) == len(split["train"]) + len(split["heldout"])
    assert split["heldout"] and split == corpus.build()[0]


def test_content_hash_follows_the_text_not_the_files(tmp_path):
    texts, meta_a = corpus_splits(tiny_corpus(write_tiny_files(tmp_path / "a")), tmp_path / "cache")
    meta_b = corpus_splits(tiny_corpus(write_tiny_files(tmp_path / "b")), tmp_path / "cache")[1]  # same text elsewhere
    assert meta_a["sha256"] == meta_b["sha256"] and tensor_text(texts["train"]).count(END_OF_TEXT) > 0
    (tmp_path / "b" / "prose" / "doc3.txt").write_text("another version of a package's docs " * 20)
    assert corpus_splits(tiny_corpus(tmp_path / "b"), tmp_path / "cache")[1]["sha256"] != meta_a["sha256"]


def test_a_missing_source_is_named(tmp_path):
    corpus = Corpus("c", (Source("man-pages", "prose", "GPL", str(tmp_path / "nowhere"), ("man1/*.gz",), reader="man"),))
    assert corpus.missing() == [f"man-pages: no man1/*.gz under {tmp_path / 'nowhere'}"]


def test_man_page_reader_keeps_the_text_and_drops_the_markup(tmp_path):
    page = tmp_path / "ls.1.gz"
    page.write_bytes(gzip.compress(b'.\\" comment\n.TH LS 1\n.SH NAME\nls \\- list \\fBdirectory\\fR contents\n.PP\n'))
    assert read_man_page(page).split() == ["NAME", "ls", "-", "list", "directory", "contents"]


def test_catalog_corpora_name_their_sources_and_licences():
    for corpus in (TEXT_CORPUS, STANDIN_CORPUS):
        assert {s.kind for s in corpus.sources} == {"prose", "code"}
        assert all(s.licence for s in corpus.sources)
    assert STANDIN_CORPUS.missing() == []  # the stand-ins' text exists on every install


def test_tokenizer_and_tokens_are_cached_and_round_trip(tmp_path):
    corpus = tiny_corpus(write_tiny_files(tmp_path / "src"))
    data = corpus_tokens(corpus, 300, tmp_path / "cache")
    assert data.tokenizer.get_vocab_size() == 300 and data.tokenizer.token_to_id(END_OF_TEXT) == 0
    assert data.train.max() < 300 and (data.train == 0).any()
    text = "the model reads a token"
    assert data.tokenizer.decode(data.tokenizer.encode(text).ids) == text
    corpus_tokens.cache_clear()
    again = corpus_tokens(corpus, 300, tmp_path / "cache")  # from the disk cache
    assert again.tokenizer_sha256 == data.tokenizer_sha256 and torch.equal(again.train, data.train)


def test_token_stream_resumes_from_its_generator_state():
    tokens = torch.arange(100)
    stream = TokenStream(tokens, 8, torch.Generator().manual_seed(0))
    stream(4)
    state = stream.generator.get_state()
    expected = stream(4)
    stream.generator.set_state(state)
    batch = stream(4)
    assert torch.equal(batch, expected) and batch.shape == (4, 8)
    assert torch.equal(batch[:, 1:] - batch[:, :-1], torch.ones(4, 7, dtype=torch.long))
