"""A text corpus built offline from files on this machine, its BPE tokenizer and its token
stream, each cached in the disk cache under what determines it.

- ``Corpus``: named ``Source`` s (a root, glob patterns, a reader, prose or code). Building it
  reads every file, normalises and deduplicates the documents (exactly, by the SHA-256 of the
  normalised text), mixes prose and code at ``prose_share`` (code, the abundant kind, is cut
  in a fixed order) and splits train / held-out by each document's hash. The entry is keyed by
  a fingerprint of the files (path, size, mtime), and records the SHA-256 of its content: a
  model's cache key holds that content hash, so other package versions (other text) give other
  models, and a mere reinstall of the same text does not.
- ``corpus_tokens``: the BPE tokenizer (``tokenizers``, byte-level) trained on the train split
  and the tokenised splits, cached under the corpus hash.
- ``TokenStream``: random ``n_ctx`` windows of the train tokens, its draws from one generator
  whose state a resumed training restores.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import importlib.metadata
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from harness.models.disk_cache import cached_artifact

CORPUS_CODE_VERSION = 1
END_OF_TEXT = "<|endoftext|>"
KINDS = ("prose", "code")


def read_text(path: Path) -> str:
    """A plain or gzipped text file (undecodable bytes replaced)."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.decode("utf-8", errors="replace")


# troff: request lines (.TH, .SH ...), comments, font and size escapes; the text of requests
# that carry it (.SH NAME, .B word) is kept
_TROFF_COMMENT = re.compile(r'^\.?\\".*$', re.M)
_TROFF_TEXT_REQUEST = re.compile(r"^\.(?:SH|SS|B|I|BI|BR|IB|IR|RB|RI|TP|IP)\b ?(.*)$", re.M)
_TROFF_REQUEST = re.compile(r"^['.].*$", re.M)
_TROFF_ESCAPE = re.compile(r"\\(?:f(?:\[[^]]*\]|\(..|.)|s[-+]?\d+|\(..|\[[^]]*\]|[&|^%:])")


def read_man_page(path: Path) -> str:
    """The running text of a (gzipped) troff man page."""
    text = _TROFF_COMMENT.sub("", read_text(path))
    text = _TROFF_TEXT_REQUEST.sub(lambda m: m.group(1).replace('"', ""), text)
    text = _TROFF_REQUEST.sub("", text)
    return _TROFF_ESCAPE.sub("", text).replace("\\-", "-").replace("\\e", "\\")


def read_package_metadata(path: Path) -> str:
    """The long description (the README) of a ``METADATA`` file: what follows its header."""
    return read_text(path).partition("\n\n")[2]


READERS: dict[str, Callable[[Path], str]] = {
    "text": read_text, "man": read_man_page, "metadata": read_package_metadata,
}


@dataclasses.dataclass(frozen=True)
class Source:
    """Files under ``root`` matching ``patterns`` (globs, recursive with ``**``), read by
    ``READERS[reader]``; ``exclude``: path parts that drop a file (``site-packages``)."""

    name: str
    kind: str
    licence: str
    root: str
    patterns: tuple[str, ...]
    reader: str = "text"
    exclude: tuple[str, ...] = ()
    min_chars: int = 200  # shorter files (stubs, empty READMEs) are no documents

    def files(self) -> list[Path]:
        root = Path(self.root)
        found = {p for pattern in self.patterns for p in root.glob(pattern) if p.is_file()}
        return sorted(p for p in found if not set(self.exclude) & set(p.relative_to(root).parts))

    def documents(self) -> Iterator[str]:
        for path in self.files():
            text = normalise(READERS[self.reader](path))
            if len(text) >= self.min_chars:
                yield text


def normalise(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row, stripped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Corpus:
    """Sources mixed at ``prose_share`` of the characters (the rest code), ``heldout_per_mille``
    of the documents held out."""

    name: str
    sources: tuple[Source, ...]
    prose_share: float = 0.8
    heldout_per_mille: int = 50

    def missing(self) -> list[str]:
        """One line per source with no file here, saying what is absent."""
        return [f"{s.name}: no {' / '.join(s.patterns)} under {s.root}" for s in self.sources if not s.files()]

    def fingerprint(self) -> str:
        """Hash of every file's path, size and mtime: the key of the built corpus entry."""
        listing = [
            (s.name, s.kind, s.reader, s.min_chars, str(p), p.stat().st_size, p.stat().st_mtime_ns)
            for s in self.sources
            for p in s.files()
        ]
        return sha256(repr((listing, self.prose_share, self.heldout_per_mille, CORPUS_CODE_VERSION)))

    def build(self) -> tuple[dict[str, list[str]], dict[str, Any]]:
        """``({"train": docs, "heldout": docs}, stats)``: deduplicated, mixed, split."""
        by_hash: dict[str, tuple[str, str]] = {}
        counts: dict[str, dict[str, int]] = {}
        for source in self.sources:
            seen = duplicate = 0
            for doc in source.documents():
                seen += 1
                digest = sha256(doc)
                duplicate += digest in by_hash
                by_hash.setdefault(digest, (source.kind, doc))
            counts[source.name] = {"documents": seen, "duplicates": duplicate}
        # the hash order is a fixed shuffle; code beyond its share is cut in that order
        ordered = sorted(by_hash.items())
        prose_chars = sum(len(doc) for _, (kind, doc) in ordered if kind == "prose")
        code_budget = prose_chars * (1 - self.prose_share) / self.prose_share
        split: dict[str, list[str]] = {"train": [], "heldout": []}
        chars = dict.fromkeys(KINDS, 0)
        for digest, (kind, doc) in ordered:
            if kind == "code" and chars["code"] + len(doc) > code_budget:
                continue
            chars[kind] += len(doc)
            heldout = int(digest[:8], 16) % 1000 < self.heldout_per_mille
            split["heldout" if heldout else "train"].append(doc)
        stats = {"sources": counts, "chars": chars, "missing": self.missing(),
                 "documents": {k: len(v) for k, v in split.items()}}
        return split, stats


def _text_tensor(text: str) -> torch.Tensor:
    return torch.frombuffer(bytearray(text.encode()), dtype=torch.uint8)


def tensor_text(tensor: torch.Tensor) -> str:
    """The text of a uint8 tensor of UTF-8 bytes (how the cache stores text)."""
    return bytes(tensor.numpy()).decode()


def corpus_splits(corpus: Corpus, cache_root: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """``({"train": text, "heldout": text}, meta)``, each text as UTF-8 bytes (``tensor_text``
    decodes it: only a build needs the text), documents joined by ``END_OF_TEXT``;
    ``meta["sha256"]`` is the content hash. Built once per fingerprint."""

    def build() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        split, stats = corpus.build()
        texts = {k: END_OF_TEXT.join(docs) for k, docs in split.items()}
        content = sha256(texts["train"] + END_OF_TEXT * 2 + texts["heldout"])
        return {k: _text_tensor(v) for k, v in texts.items()}, {**stats, "sha256": content, "corpus": corpus.name}

    payload = {"kind": "text-corpus", "fingerprint": corpus.fingerprint()}
    return cached_artifact(cache_root, payload, build)


def train_tokenizer(text: str, vocab_size: int) -> Tokenizer:
    """Byte-level BPE with ``END_OF_TEXT`` as its one special token (id 0)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[END_OF_TEXT], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(text.split(END_OF_TEXT), trainer)
    return tokenizer


def encode_documents(tokenizer: Tokenizer, text: str, batch: int = 256) -> torch.Tensor:
    """``[n_tokens]`` int16 ids of ``text``, its documents encoded ``batch`` at a time and joined
    by ``END_OF_TEXT`` (encoding a whole corpus at once holds gigabytes of offsets)."""
    docs = text.split(END_OF_TEXT)
    eot = [tokenizer.token_to_id(END_OF_TEXT)]
    chunks = []
    for start in range(0, len(docs), batch):
        encodings = tokenizer.encode_batch(docs[start : start + batch])
        ids = [t for i, e in enumerate(encodings, start) for t in (eot if i else []) + e.ids]
        chunks.append(torch.tensor(ids, dtype=torch.int16))
    return torch.cat(chunks)


@dataclasses.dataclass(frozen=True)
class CorpusTokens:
    """A corpus tokenised: ``train`` / ``heldout`` ``[n_tokens]`` int64, documents separated by
    ``END_OF_TEXT`` (id 0); the hashes a model trained on it records."""

    train: torch.Tensor
    heldout: torch.Tensor
    tokenizer: Tokenizer
    corpus_sha256: str
    tokenizer_sha256: str
    corpus_meta: dict[str, Any]


@functools.lru_cache(maxsize=4)
def corpus_tokens(corpus: Corpus, vocab_size: int, cache_root: Path) -> CorpusTokens:
    """The corpus, its tokenizer and its tokens, each built once into the disk cache."""
    splits, corpus_meta = corpus_splits(corpus, cache_root)
    tokenizer_payload = {"kind": "bpe-tokenizer", "corpus": corpus_meta["sha256"], "vocab_size": vocab_size,
                         "tokenizers": importlib.metadata.version("tokenizers"), "code_version": CORPUS_CODE_VERSION}

    def build_tokenizer() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        as_json = train_tokenizer(tensor_text(splits["train"]), vocab_size).to_str()
        return {"tokenizer": _text_tensor(as_json)}, {"tokenizer_sha256": sha256(as_json)}

    tensors, tokenizer_meta = cached_artifact(cache_root, tokenizer_payload, build_tokenizer)
    tokenizer = Tokenizer.from_str(tensor_text(tensors["tokenizer"]))

    def build_tokens() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        ids = {k: encode_documents(tokenizer, tensor_text(v)) for k, v in splits.items()}
        return ids, {f"{k}_tokens": len(v) for k, v in ids.items()}

    tokens_payload = {"kind": "corpus-tokens", "corpus": corpus_meta["sha256"],
                      "tokenizer": tokenizer_meta["tokenizer_sha256"]}
    ids, tokens_meta = cached_artifact(cache_root, tokens_payload, build_tokens)
    return CorpusTokens(
        train=ids["train"].long(), heldout=ids["heldout"].long(), tokenizer=tokenizer,
        corpus_sha256=corpus_meta["sha256"], tokenizer_sha256=tokenizer_meta["tokenizer_sha256"],
        corpus_meta={
            **{k: corpus_meta[k] for k in ("corpus", "sha256", "sources", "chars", "documents", "missing")},
            **{k: tokens_meta[k] for k in ("train_tokens", "heldout_tokens")},
        },
    )


class TokenStream:
    """Batches ``[batch, n_ctx]`` of random windows of ``tokens``, drawn by ``generator``
    (restoring its state resumes the stream where it was)."""

    def __init__(self, tokens: torch.Tensor, n_ctx: int, generator: torch.Generator):
        if len(tokens) <= n_ctx:
            raise ValueError(f"a corpus of {len(tokens)} tokens has no window of {n_ctx}")
        self.tokens, self.n_ctx, self.generator = tokens, n_ctx, generator

    def __call__(self, batch_size: int) -> torch.Tensor:
        starts = torch.randint(0, len(self.tokens) - self.n_ctx + 1, (batch_size,), generator=self.generator)
        return self.tokens[starts[:, None] + torch.arange(self.n_ctx)]
