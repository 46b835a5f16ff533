"""Models a researcher adds to a run (``--claims-add-model SPEC``, or ``add-models`` under
``[tool.mi-claims]`` in pyproject.toml). SPEC is one of

- ``hf:org/name[@revision]``: a hub repo, from the local HF cache (the hub only where reachable);
- ``path:/dir``: a local HF directory (config.json, weights, tokenizer);
- ``tl:<name>``: a TransformerLens model name or alias, loaded as its HF repo (as ``hf:``);
- ``gguf:/file.gguf``: a GGUF checkpoint, dequantised to float32 into the model cache once;
- ``py:module:function``: a callable returning a ``TransformerBridge``.

``parse_added_model`` checks what can be checked without loading (scheme, directory, tokenizer
files, an architecture TransformerLens can bridge, the callable) and raises ``BadModelSpec``
with the reason; weights that are not on this machine raise ``ModelUnavailable`` at load.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from harness.models.pretrained.hf_local import TOKENIZER_FILES, boot_hf_local, hf_cache_snapshot
from harness.models.pretrained.hub import hub_unreachable_reason
from harness.models.pretrained.smollm2_wheel import gguf_local_dir
from harness.models.registry import ModelUnavailable

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge

SCHEMES = ("hf", "path", "tl", "gguf", "py")


class BadModelSpec(ValueError):
    """A ``--claims-add-model`` SPEC that cannot name a loadable model; the message says why."""


@dataclasses.dataclass(frozen=True)
class AddedModel:
    """A model added to the run; a ``ModelSpec`` for the registry (pretrained: seed 0 only)."""

    name: str
    description: str
    spec: str
    load_fn: Callable[[Path], Any] = dataclasses.field(compare=False, repr=False)
    # where the weights come from, recorded with the weight hash: source, revision, file path
    origin: dict[str, str] = dataclasses.field(default_factory=dict, compare=False)

    def load(self, seed: int, cache_root: Path) -> TransformerBridge:
        if seed != 0:
            raise ValueError(f"{self.name} is pretrained: it has seed 0 only, not {seed}")
        return self.load_fn(cache_root)


def check_hf_directory(directory: Path, spec: str) -> None:
    """A loadable HF directory: config.json with an architecture TransformerLens bridges, and a tokenizer."""
    from transformer_lens.factories.architecture_adapter_factory import SUPPORTED_ARCHITECTURES

    if not directory.is_dir():
        raise BadModelSpec(f"{spec}: {directory} is not a directory")
    if not (directory / "config.json").is_file():
        raise BadModelSpec(f"{spec}: {directory} has no config.json (not an HF model directory)")
    if not any((directory / name).is_file() for name in TOKENIZER_FILES):
        raise BadModelSpec(f"{spec}: {directory} has no tokenizer (none of {', '.join(TOKENIZER_FILES)}); "
                           "save one next to the model with tokenizer.save_pretrained(dir)")
    architectures = json.loads((directory / "config.json").read_text()).get("architectures") or []
    if not any(arch in SUPPORTED_ARCHITECTURES for arch in architectures):
        raise BadModelSpec(f"{spec}: TransformerLens cannot bridge the architecture {architectures or '(none named)'} "
                           f"of {directory}; it bridges {len(SUPPORTED_ARCHITECTURES)} architectures, e.g. "
                           "GPT2LMHeadModel, GPTNeoXForCausalLM, LlamaForCausalLM")


def _hub_loader(repo_id: str, revision: str | None, spec: str) -> Callable[[Path], Any]:
    """Load ``repo_id`` from the local HF cache; download it only where the hub is reachable."""

    def load(cache_root: Path) -> Any:
        snapshot = hf_cache_snapshot(repo_id, revision)
        if snapshot is None:
            if why := hub_unreachable_reason():
                raise ModelUnavailable(f"{spec}: not in the local HF cache, and {why}")
            from huggingface_hub import snapshot_download

            snapshot = Path(snapshot_download(repo_id, revision=revision))
        check_hf_directory(snapshot, spec)
        return boot_hf_local(repo_id, snapshot, "cpu")

    return load


def _hf(spec: str, target: str) -> tuple[str, Callable[[Path], Any], dict[str, str]]:
    repo_id, _, revision = target.partition("@")
    if repo_id.count("/") > 1 or not repo_id.strip("/"):
        raise BadModelSpec(f"{spec}: expected hf:org/name[@revision]")
    if (snapshot := hf_cache_snapshot(repo_id, revision or None)) is not None:
        check_hf_directory(snapshot, spec)
    origin = {"source": "hf", "repo": repo_id, "revision": revision or "main"}
    return repo_id.rsplit("/", 1)[-1].lower(), _hub_loader(repo_id, revision or None, spec), origin


def _tl(spec: str, target: str) -> tuple[str, Callable[[Path], Any], dict[str, str]]:
    from transformer_lens.supported_models import get_official_model_name

    try:
        repo_id = get_official_model_name(target)
    except ValueError as err:
        raise BadModelSpec(f"{spec}: {err} (TransformerLens's supported_models lists the names)") from None
    _, load, origin = _hf(spec, repo_id)
    return target.lower(), load, {**origin, "source": "tl", "tl_name": target}


def _path(spec: str, target: str) -> tuple[str, Callable[[Path], Any], dict[str, str]]:
    directory = Path(target).expanduser().resolve()
    check_hf_directory(directory, spec)
    return directory.name, lambda cache_root: boot_hf_local(directory.name, directory, "cpu"), {"source": "path", "path": str(directory)}


def _gguf(spec: str, target: str) -> tuple[str, Callable[[Path], Any], dict[str, str]]:
    file = Path(target).expanduser().resolve()
    if file.suffix != ".gguf":
        raise BadModelSpec(f"{spec}: {file.name} is not a .gguf file")
    if not file.is_file():
        raise BadModelSpec(f"{spec}: {file} does not exist")
    return file.stem, lambda cache_root: boot_hf_local(file.stem, gguf_local_dir(file, cache_root), "cpu"), {"source": "gguf", "path": str(file)}


def _py(spec: str, target: str) -> tuple[str, Callable[[Path], Any], dict[str, str]]:
    module_name, _, function_name = target.partition(":")
    if not module_name or not function_name:
        raise BadModelSpec(f"{spec}: expected py:module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise BadModelSpec(f"{spec}: cannot import {module_name}: {err}") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise BadModelSpec(f"{spec}: {module_name} has no callable {function_name}")

    def load(cache_root: Path) -> Any:
        bridge = function()
        if getattr(bridge, "tokenizer", None) is None:
            raise BadModelSpec(f"{spec}: {function_name}() returned a model without a tokenizer")
        return bridge

    return function_name, load, {"source": "py", "callable": target}


_PARSERS = {"hf": _hf, "path": _path, "tl": _tl, "gguf": _gguf, "py": _py}


def parse_added_model(spec: str) -> AddedModel:
    """The model ``spec`` names (its name: the repo, directory, file or function name, lower case)."""
    scheme, sep, target = spec.partition(":")
    if not sep or scheme not in _PARSERS:
        raise BadModelSpec(f"{spec}: unknown scheme {scheme if sep else '(none)'}; use one of "
                           + ", ".join(f"{s}:" for s in SCHEMES))
    if not target:
        raise BadModelSpec(f"{spec}: nothing after {scheme}:")
    name, load, origin = _PARSERS[scheme](spec, target)
    return AddedModel(name=name.lower(), description=f"added by --claims-add-model {spec}", spec=spec, load_fn=load, origin=origin)
