"""One clean forward pass per (model, tokens): the per-process memo behind ``cache_activations``.

Many measurements read the clean activations of one prompt set: head scores, direct logit
attribution, the logit lens, mean ablation. ``clean_run`` keeps what a clean pass cached, so
later requests of the same names on the same tokens run no pass. A pass is clean when the
model's hook points carry no hook (inside ``model.hooks(...)`` they do: such a pass is run, never
memoised). An entry is keyed by the model object, its parameters' identities, in-place version
counters, dtypes and devices (a model edited, cast or moved never reads stale activations) and
the tokens' bytes.

The memo holds at most ``MI_CLAIMS_ACTIVATION_MEMORY`` (e.g. ``4G``, ``500M``, bytes; default 2 GiB; 0 turns it off) and
drops the least recently used entries beyond. An optional second level (``set_store``) keeps
entries across runs: ``harness.models.activation_store`` is the disk one.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import os
import weakref
from typing import Iterable, Protocol

import torch
from torch.utils.weak import WeakIdKeyDictionary

DEFAULT_MEMORY = 2 << 30


@dataclasses.dataclass
class CleanRun:
    """The activations a clean pass cached, {hook name: tensor}, and its logits
    ``[batch, pos, d_vocab]`` (``None`` when the pass stopped early or was not asked for them)."""

    activations: dict[str, torch.Tensor]
    logits: torch.Tensor | None = None

    @property
    def nbytes(self) -> int:
        tensors = [*self.activations.values(), *([] if self.logits is None else [self.logits])]
        return sum(t.numel() * t.element_size() for t in tensors)

    def covers(self, names: set[str], logits: bool) -> bool:
        return names <= self.activations.keys() and (self.logits is not None or not logits)


class Store(Protocol):
    """A second level under the memo (e.g. on disk), addressed like the memo."""

    def get(self, model, digest: str, stop_at_layer: int | None, names: set[str], logits: bool) -> CleanRun | None: ...

    def put(self, model, digest: str, stop_at_layer: int | None, run: CleanRun) -> None: ...


def parse_size(text: str) -> int:
    """Bytes of ``"4G"``, ``"500M"``, ``"64K"`` or ``"1000"``."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    text = text.strip().upper().removesuffix("B")
    try:
        return int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)
    except ValueError:
        raise ValueError(f"bad size {text!r}; expected e.g. 4G, 500M or a number of bytes") from None


def memory_bound() -> int:
    """``MI_CLAIMS_ACTIVATION_MEMORY`` in bytes (``"2G"``, ``"500M"``, a number), or the default."""
    text = os.environ.get("MI_CLAIMS_ACTIVATION_MEMORY")
    if text is None:
        return DEFAULT_MEMORY
    try:
        return parse_size(text)
    except ValueError as err:
        raise ValueError(f"MI_CLAIMS_ACTIVATION_MEMORY: {err}") from None


def bytes_digest(tokens: torch.Tensor) -> str:
    """sha1 of the tokens' dtype, shape and bytes (a copy to the host: on a GPU, a sync)."""
    tokens = tokens.detach().cpu().contiguous()
    return hashlib.sha1(f"{tokens.dtype}|{tuple(tokens.shape)}|".encode() + tokens.numpy().tobytes()).hexdigest()


_digests = WeakIdKeyDictionary()  # tokens tensor -> (its in-place version counter, digest)


def tokens_digest(tokens: torch.Tensor) -> str:
    """``bytes_digest`` of the tokens, remembered per tensor object until it is edited in place, so
    that repeated lookups of one tokens tensor copy it to the host once. Inference-mode tensors
    keep no version counter: they are hashed on every lookup."""
    if tokens.is_inference():
        return bytes_digest(tokens)
    known = _digests.get(tokens)
    if known is None or known[0] != tokens._version:
        known = _digests[tokens] = (tokens._version, bytes_digest(tokens))
    return known[1]


class ModelTensors:
    """A model's parameters and buffers, listed once per model until any module anywhere registers
    a parameter or buffer (torch's global registration hooks count those). Listing them walks the
    whole module tree, about 50 ms for SmolLM2's bridge here, and every memo request needs them.
    Submodule registrations are not counted: transformers' Llama slices its ``ModuleList`` of
    layers on every forward, which registers each layer again. So a module built earlier and only
    then attached in place of a part of a listed model is not seen (a new parameter is)."""

    def __init__(self) -> None:
        self.registrations = 0
        self.lists: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> (registrations, tensors)
        for register in (torch.nn.modules.module.register_module_parameter_registration_hook,
                         torch.nn.modules.module.register_module_buffer_registration_hook):
            register(self.count)

    def count(self, *registration) -> None:
        self.registrations += 1

    def __call__(self, model: torch.nn.Module) -> tuple[torch.Tensor, ...]:
        registrations, tensors = self.lists.get(model, (None, ()))
        if registrations != self.registrations:
            tensors = (*model.parameters(), *model.buffers())
            self.lists[model] = (self.registrations, tensors)
        return tensors


MODEL_TENSORS = ModelTensors()


def parameters_key(model: torch.nn.Module) -> tuple:
    """Each parameter's and buffer's identity, in-place version counter, dtype and device: it
    changes with every in-place edit, cast or move of the weights, and with a parameter
    assigned anew."""
    return tuple((id(t), t._version, t.dtype, t.device) for t in MODEL_TENSORS(model))


def has_hooks(model) -> bool:
    """Whether any hook point of ``model`` carries a forward hook (the pass would not be clean)."""
    return any(point.fwd_hooks for point in getattr(model, "hook_dict", {}).values())


def forward_pass(model, tokens: torch.Tensor, names: set[str], stop_at_layer: int | None, logits: bool) -> CleanRun:
    """One pass under ``inference_mode`` caching ``names`` (a model without hook points, e.g. a
    plain MLP, just runs). A full pass captures them with one ``capture_hook`` a name, added
    to the hook points around a plain forward: ``run_with_cache`` also walks every hook point to
    match its filter, and ``model.hooks`` rebuilds the bridge's hook dictionary (with its aliases)
    twice, fixed costs of a few percent of a toy model's pass each. A pass stopped early uses
    ``run_with_cache``."""
    with torch.inference_mode():
        if not hasattr(model, "run_with_cache"):
            return CleanRun({}, model(tokens))
        if stop_at_layer is not None:
            _, cache = model.run_with_cache(tokens, names_filter=lambda n: n in names, stop_at_layer=stop_at_layer)
            return CleanRun({name: cache[name] for name in names if name in cache})
        captured: dict[str, torch.Tensor] = {}

        def capture(name: str):
            def capture_hook(tensor: torch.Tensor, hook=None) -> None:
                captured[name] = tensor.detach()
            return capture_hook

        hook_points = model.hook_dict  # the bridge rebuilds it with its aliases on every read: once here
        present = sorted(name for name in names if name in hook_points)  # as run_with_cache's filter, skip the rest
        level = id(captured)  # a context level of this pass's own: removing it removes exactly its hooks
        try:
            for name in present:
                hook_points[name].add_hook(capture(name), level=level)
            out = model(tokens)
        finally:
            for name in present:
                hook_points[name].remove_hooks("fwd", level=level)
    return CleanRun(captured, out if logits else None)


class ActivationMemo:
    """The memo: ``CleanRun`` entries by (model, its parameters' key, tokens, early stop), least
    recently used out beyond ``max_bytes``; ``hits`` / ``misses`` count the requests."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: collections.OrderedDict[tuple, CleanRun] = collections.OrderedDict()
        self.watched: set[int] = set()
        self.store: Store | None = None
        self.hits = self.misses = 0

    def run(self, model, tokens: torch.Tensor, names: Iterable[str], stop_at_layer: int | None = None,
            logits: bool = False) -> CleanRun:
        names = set(names)
        if self.max_bytes <= 0 or has_hooks(model) or not hasattr(model, "run_with_cache"):
            return forward_pass(model, tokens, names, stop_at_layer, logits)
        digest = tokens_digest(tokens)
        key = (id(model), parameters_key(model), digest, stop_at_layer)
        entry = self.entries.get(key)
        if entry is not None and entry.covers(names, logits):
            self.hits += 1
            self.entries.move_to_end(key)
            return entry
        stored = self.store.get(model, digest, stop_at_layer, names, logits) if self.store else None
        self.misses += stored is None
        missing = names - (entry.activations.keys() if entry else set())
        new = stored or forward_pass(model, tokens, missing, stop_at_layer, logits=True)  # a full pass's logits come free
        if self.store and stored is None:
            self.store.put(model, digest, stop_at_layer, self.fit(new, logits))
        if entry is not None:
            new = CleanRun({**entry.activations, **new.activations}, entry.logits if new.logits is None else new.logits)
        self.remember(model, key, new, logits)
        return new

    def fit(self, run: CleanRun, logits: bool) -> CleanRun:
        """The memo's one size rule: logits go first, when not asked for and over 1/64 of the bound
        or when the run is over a quarter of it (e.g. a 50k-token vocabulary's logits over a
        corpus); ``remember`` keeps no run still over a quarter, and the store is given what this leaves."""
        size = 0 if run.logits is None else run.logits.numel() * run.logits.element_size()
        if size and (not logits and size > self.max_bytes // 64 or run.nbytes > self.max_bytes // 4):
            return CleanRun(run.activations)
        return run

    def remember(self, model, key: tuple, entry: CleanRun, logits: bool) -> None:
        entry = self.fit(entry, logits)
        if entry.nbytes > self.max_bytes // 4:
            return
        if id(model) not in self.watched:  # forget a model's entries when it is collected (its id may be reused)
            self.watched.add(id(model))
            weakref.finalize(model, self.forget, id(model))
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > 1 and self.nbytes > self.max_bytes:
            self.entries.popitem(last=False)

    def forget(self, model_id: int) -> None:
        self.watched.discard(model_id)
        for key in [k for k in self.entries if k[0] == model_id]:
            del self.entries[key]

    @property
    def nbytes(self) -> int:
        return sum(entry.nbytes for entry in self.entries.values())


MEMO = ActivationMemo(memory_bound())


def clean_run(model, tokens: torch.Tensor, names: Iterable[str], stop_at_layer: int | None = None,
              logits: bool = False) -> CleanRun:
    """The activations ``names`` of the clean pass of ``model`` over ``tokens`` [batch, pos] (and
    its logits [batch, pos, d_vocab] if ``logits``), from the memo or one new pass; the pass stops
    before block ``stop_at_layer`` if given. The tensors are shared: do not edit them in place."""
    return MEMO.run(model, tokens, names, stop_at_layer, logits)


def clean_logits(model, tokens: torch.Tensor) -> torch.Tensor:
    """``[batch, pos, d_vocab]`` logits of the clean pass of ``model`` over ``tokens``."""
    return clean_run(model, tokens, (), logits=True).logits


def set_store(store: Store | None) -> None:
    """Put ``store`` under the memo (``None``: none)."""
    MEMO.store = store
