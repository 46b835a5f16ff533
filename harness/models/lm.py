"""Spec of a text language model trained here on a ``Corpus``: a TL-native transformer trained
through the one loop (``optimize``) on a ``TokenStream`` of the corpus's train tokens, on the GPU
when there is one, resumable, with log-spaced checkpoints and a tokens/s progress bar.

Its cache key holds the corpus's content hash and its tokenizer's hash (not the corpus's file
list), so the same text trains the same model wherever it was read from. Training saves a
resume point next to the entry (``<key>.resume.pt``) every ``resume_every`` steps: an
interrupted run (Ctrl-C, kill) started again continues from there into the same weights.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import math
from pathlib import Path
from typing import Any, ClassVar

import torch
from tokenizers import Tokenizer
from transformer_lens.model_bridge import TransformerBridge

from harness.models.corpus import Corpus, CorpusTokens, TokenStream, corpus_tokens
from harness.models.disk_cache import Artifact, artifact_key, cached_artifact, default_cache_root
from harness.models.devices import device_kind
from harness.models.progress import announce_training, progress_to_terminal
from harness.models.toy_transformer import bridge_from_state_dict
from harness.models.trained import TrainedSpec, join_checkpoints
from harness.models.training import (
    TRAINING_CODE_VERSION,
    Resume,
    TrainConfig,
    init_native_model,
    next_token_loss,
    optimize,
)

RESUME_SUFFIX = ".resume.pt"


@torch.inference_mode()
def heldout_loss(model: torch.nn.Module, tokens: torch.Tensor, n_ctx: int, max_windows: int = 64) -> float:
    """Mean next-token loss (nats) over up to ``max_windows`` consecutive ``n_ctx`` windows of
    ``tokens`` ``[n_tokens]``."""
    n = min(max_windows, len(tokens) // n_ctx)
    windows = tokens[: n * n_ctx].view(n, n_ctx).to(next(model.parameters()).device)
    mask = torch.ones(n, n_ctx - 1, device=windows.device)
    return next_token_loss(model(windows).float(), windows, mask).item()


@dataclasses.dataclass(frozen=True)
class TextLMSpec(TrainedSpec):
    """``arch``: a TL-native config (``d_vocab`` is the tokenizer's ``vocab_size``)."""

    arch: dict[str, Any]
    corpus: Corpus
    vocab_size: int
    train: TrainConfig
    resume_every: int = 100

    KIND: ClassVar[str] = "text-lm"
    CODE_VERSION: ClassVar[int] = TRAINING_CODE_VERSION

    def __post_init__(self) -> None:
        if self.arch["d_vocab"] != self.vocab_size:
            raise ValueError(f"{self.name}: d_vocab {self.arch['d_vocab']} != vocab_size {self.vocab_size}")

    def tokens(self, cache_root: Path) -> CorpusTokens:
        return corpus_tokens(self.corpus, self.vocab_size, Path(cache_root))

    def tokenizer(self, cache_root: Path) -> Tokenizer:
        return self.tokens(cache_root).tokenizer

    def payload(self, seed: int) -> dict[str, Any]:
        """The weights' key without the corpus (its content hash is added by ``artifact``) and
        without ``resume_every`` (where a run may be interrupted changes nothing)."""
        fields = super().payload(seed)
        del fields["corpus"], fields["resume_every"]
        return fields

    def keyed_payload(self, seed: int, data: CorpusTokens) -> dict[str, Any]:
        # the device kind that trains it is in ``train``'s key (``TrainConfig.device``)
        return {**self.payload(seed), "corpus_sha256": data.corpus_sha256, "tokenizer_sha256": data.tokenizer_sha256}

    def artifact(self, seed: int, cache_root: Path) -> Artifact:
        data = self.tokens(cache_root)
        payload = self.keyed_payload(seed, data)

        def build() -> Artifact:
            announce_training(self.name, seed)
            return self.train_on(data, seed, Path(cache_root) / f"{artifact_key(payload)}{RESUME_SUFFIX}")

        return cached_artifact(Path(cache_root), payload, build)

    def train_artifact(self, seed: int) -> Artifact:
        """Train (or load) into the default cache: the corpus and tokenizer live there."""
        return self.artifact(seed, default_cache_root())

    def train_on(self, data: CorpusTokens, seed: int, resume_path: Path) -> Artifact:
        device = self.train.training_device()
        model = self.train.initial_model(lambda s: init_native_model(self.arch, s), seed).to(device)
        generator = self.train.batch_generator(seed)
        stream = TokenStream(data.train, self.arch["n_ctx"], generator)
        mask = torch.ones(self.train.batch_size, self.arch["n_ctx"] - 1, device=device)

        def batch_loss() -> torch.Tensor:
            tokens = stream(self.train.batch_size).to(device)
            return next_token_loss(self.train.loss_input(model(tokens)), tokens, mask)

        result = optimize(
            model, batch_loss, self.train, f"{self.name} seed {seed}", progress_to_terminal,
            resume=Resume(resume_path, self.resume_every, (generator,)),
            tokens_per_step=self.train.batch_size * self.arch["n_ctx"],
        )
        meta = {
            "model": self.name,
            "losses": result.losses,
            "train_seconds": result.seconds,
            "tokens_per_second": self.train.steps * self.train.batch_size * self.arch["n_ctx"] / result.seconds,
            "heldout_loss": heldout_loss(model, data.heldout, self.arch["n_ctx"]),
            "uniform_loss": math.log(self.vocab_size),
            "device": device_kind(device),
            "corpus": data.corpus_meta,
            "torch": torch.__version__,
            "transformer_lens": importlib.metadata.version("transformer-lens"),
        }
        return join_checkpoints(result.state_dict, result.checkpoints), meta

    def from_state(self, state: dict[str, torch.Tensor], seed: int, meta: dict[str, Any], label: str) -> TransformerBridge:
        return bridge_from_state_dict(self.arch, seed, state, label)
