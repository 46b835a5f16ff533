"""A tiny corpus on disk and a tiny model trained on it, for the corpus, language-model and zoo tests: seeded prose, code and
one duplicate."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from catalog.lm import standin
from harness.models.corpus import Corpus, Source
from harness.models.lm import TextLMSpec
from harness.models.training import TrainConfig

WORDS = ("the model reads a token and writes its guess of the next one while heads attend "
         "to earlier words so that a repeated phrase is predicted from its first copy").split()


def write_tiny_files(root: Path, n_docs: int = 12) -> Path:
    """``n_docs`` prose files of seeded random words (the last a copy of the first) and as many
    small Python files under ``root``; returns ``root``."""
    rng = random.Random(0)
    (root / "prose").mkdir(parents=True)
    (root / "code").mkdir()
    for i in range(n_docs - 1):
        (root / "prose" / f"doc{i}.txt").write_text(" ".join(rng.choice(WORDS) for _ in range(400)))
    (root / "prose" / f"doc{n_docs - 1}.txt").write_text((root / "prose" / "doc0.txt").read_text() + "\n\n\n")
    for i in range(n_docs):
        (root / "code" / f"mod{i}.py").write_text(
            "\n".join(f"def f{i}_{j}(x):\n    return x + {j}\n" for j in range(20))
        )
    return root


def tiny_corpus(root: Path) -> Corpus:
    """The prose and code files under ``root`` (``write_tiny_files``) as a corpus."""
    sources = (Source("prose", "prose", "test", str(root), ("prose/*.txt",)),
               Source("code", "code", "test", str(root), ("code/*.py",)))
    return Corpus("tiny", sources, heldout_per_mille=200)


TINY_TRAIN = TrainConfig(steps=12, batch_size=4, lr=3e-3, warmup_steps=2, log_every=4, log_checkpoints=4)


def tiny_spec(root: Path, family: str = "solu") -> TextLMSpec:
    """A 1-layer stand-in of ``family`` on the tiny corpus under ``root`` (vocab 300, context 16,
    12 steps, a resume point every 4)."""
    base = standin(family, 1)
    return dataclasses.replace(base, corpus=tiny_corpus(root), vocab_size=300,
                               arch={**base.arch, "d_vocab": 300, "n_ctx": 16}, train=TINY_TRAIN, resume_every=4)
