"""Compiled transformers from DeepMind's tracr (Lindner et al. 2023): a RASP program compiled
into weights, so every component's role is known.

``TracrSpec.load`` compiles the program once (tracr, jax and dm-haiku: the ``tracr`` extra),
converts the weights into a ``TransformerBridge`` over TransformerLens's native model and stores
them in the disk cache; a warm cache loads without jax. The mapping is that of TransformerLens's
``demos/Tracr_to_Transformer_Lens_Demo.ipynb``: haiku's ``w`` is [in, out] (torch's Linear
weight is its transpose), query / key / value columns are ``(head d_head)``, no layer norm,
ReLU MLPs, bidirectional attention. One deviation: the demo's unembedding is the identity onto
the first residual dimensions, which holds only where tracr happens to order the output space
first; here it is tracr's own projection from the residual onto the output space. A numerical
program (``make_frac_prevs``) has one output: its "logit" is the value.

``compiled_circuit`` reads the program's components off the weights: tracr assembles every
block of the compiled graph into a layer and leaves the padding blocks and heads at zero
(``tracr/compiler/assemble.py``), and tracr's graph is built backwards from the output SOp.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.metadata
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import torch

from harness.models.disk_cache import Artifact, cached_artifact
from harness.models.registry import ModelUnavailable

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge

# bump when the conversion below changes: it is part of the cache key
CONVERTER_VERSION = 1
INSTALL_HINT = "install the tracr extra: pip install -e .[tracr]"


@dataclasses.dataclass(frozen=True)
class TracrInfo:
    """What a claim needs to know about a compiled model besides its weights.

    ``input_ids``: input value (as ``str``) -> token id; ``bos_id`` the compiler's BOS token;
    ``output_values``: the value of each output index (categorical programs);
    ``categorical``: argmax over the outputs, else one numerical output; ``unique_inputs``:
    the program is defined only on inputs without repeats (``make_sort_unique``)."""

    input_ids: dict[str, int]
    bos_id: int
    output_values: list[str]
    categorical: bool
    max_seq_len: int
    unique_inputs: bool

    def random_inputs(self, n: int, length: int, seed: int) -> torch.Tensor:
        """[n, 1 + length] token ids: BOS, then ``length`` random input values (distinct ones
        where the program needs unique inputs)."""
        gen = torch.Generator().manual_seed(seed)
        vocab = torch.tensor(sorted(self.input_ids.values()))
        if self.unique_inputs:
            body = torch.stack([vocab[torch.randperm(len(vocab), generator=gen)[:length]] for _ in range(n)])
        else:
            body = vocab[torch.randint(0, len(vocab), (n, length), generator=gen)]
        return torch.cat([torch.full((n, 1), self.bos_id), body], dim=1)


def tracr_available() -> bool:
    return importlib.util.find_spec("tracr") is not None and importlib.util.find_spec("jax") is not None


def native_arch(config: Any, d_vocab: int, d_model: int, n_ctx: int, d_vocab_out: int) -> dict[str, Any]:
    """The TL-native architecture of a tracr ``TransformerConfig``."""
    if config.layer_norm:
        raise ValueError("tracr compiles without layer norm; a model with one cannot be converted exactly")
    return dict(n_layers=config.num_layers, d_model=d_model, n_heads=config.num_heads, d_head=config.key_size,
                d_mlp=config.mlp_hidden_size, n_ctx=n_ctx, d_vocab=d_vocab, d_vocab_out=d_vocab_out,
                act_fn="relu", normalization_type=None, positional_embedding_type="standard",
                attention_dir="causal" if config.causal else "bidirectional")


def unembedding(assembled) -> torch.Tensor:
    """[d_model, d_vocab_out]: tracr's projection of the residual onto the output space."""
    import haiku as hk
    import jax.numpy as jnp
    import numpy as np

    d_model = assembled.params["token_embed"]["embeddings"].shape[1]
    project = hk.without_apply_rng(
        hk.transform(lambda x: assembled.get_compiled_model().unembed(x, use_unembed_argmax=False))
    )
    out = np.asarray(project.apply(assembled.params, jnp.eye(d_model)))
    return torch.tensor(out.reshape(d_model, -1), dtype=torch.float32)


def convert(assembled) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(native arch, native state dict) of a tracr ``AssembledTransformerModel``."""
    import numpy as np

    def tensor(x) -> torch.Tensor:
        return torch.tensor(np.asarray(x), dtype=torch.float32)

    params = assembled.params
    w_e = tensor(params["token_embed"]["embeddings"])
    w_pos = tensor(params["pos_embed"]["embeddings"])
    w_u = unembedding(assembled)
    arch = native_arch(assembled.model_config, d_vocab=w_e.shape[0], d_model=w_e.shape[1], n_ctx=w_pos.shape[0],
                       d_vocab_out=w_u.shape[1])
    state = {"tok_embed.weight": w_e, "pos.weight": w_pos, "head.weight": w_u.T.contiguous()}
    names = {"attn.q": "attn/query", "attn.k": "attn/key", "attn.v": "attn/value", "attn.o": "attn/linear",
             "mlp.fc_in": "mlp/linear_1", "mlp.fc_out": "mlp/linear_2"}
    for layer in range(arch["n_layers"]):
        for ours, theirs in names.items():
            linear = params[f"transformer/layer_{layer}/{theirs}"]
            state[f"layers.{layer}.{ours}.weight"] = tensor(linear["w"]).T.contiguous()
            state[f"layers.{layer}.{ours}.bias"] = tensor(linear["b"])
    return arch, state


def compile_program(program, vocab: set, max_seq_len: int, compiler_bos: str):
    """tracr's ``AssembledTransformerModel`` of a RASP program."""
    from tracr.compiler import compiling

    return compiling.compile_rasp_to_model(program, vocab=vocab, max_seq_len=max_seq_len, compiler_bos=compiler_bos)


def tracr_info(assembled, max_seq_len: int, unique_inputs: bool) -> TracrInfo:
    encoding = dict(assembled.input_encoder.encoding_map)
    bos, pad = assembled.input_encoder.bos_token, assembled.input_encoder.pad_token
    output = assembled.output_encoder
    categorical = output is not None and getattr(output, "encoding_map", None) is not None
    values = sorted(output.encoding_map, key=output.encoding_map.get) if categorical else []
    return TracrInfo(
        input_ids={str(v): i for v, i in encoding.items() if v not in (bos, pad)},
        bos_id=encoding[bos], output_values=[str(v) for v in values], categorical=categorical,
        max_seq_len=max_seq_len, unique_inputs=unique_inputs,
    )


def bridge_from_native(arch: dict[str, Any], state: dict[str, torch.Tensor], name: str) -> TransformerBridge:
    from transformer_lens.config import TransformerBridgeConfig
    from transformer_lens.model_bridge.sources._bridge_builder import build_bridge_from_module
    from transformer_lens.model_bridge.sources.native import NativeModel

    cfg = TransformerBridgeConfig.from_dict({**arch, "seed": 0})
    model = NativeModel(copy.deepcopy(cfg))
    model.load_state_dict(state)
    return build_bridge_from_module(model, architecture="TransformerLensNative", tl_config=cfg, model_name=name).eval()


@dataclasses.dataclass(frozen=True)
class TracrSpec:
    """A tracr-compiled RASP program for the registry. ``program`` builds the RASP SOp (it
    imports tracr); its name, the vocabulary, ``max_seq_len``, the BOS token, ``unique_inputs``
    and ``CONVERTER_VERSION`` key the cache (the tracr version is recorded in the entry's meta,
    not the key, so that a cached entry loads without tracr). Compiled weights exist once: only
    seed 0 loads."""

    name: str
    description: str
    program: Callable[[], Any]
    vocab: tuple
    max_seq_len: int
    compiler_bos: str = "BOS"
    unique_inputs: bool = False

    def payload(self) -> dict[str, Any]:
        return {"kind": "tracr", "program": self.program.__name__, "vocab": sorted(map(str, self.vocab)),
                "max_seq_len": self.max_seq_len, "compiler_bos": self.compiler_bos,
                "unique_inputs": self.unique_inputs, "converter_version": CONVERTER_VERSION}

    def compile(self):
        """tracr's compiled model (needs the ``tracr`` extra)."""
        if not tracr_available():
            raise ModelUnavailable(f"{self.name}: no cached conversion and tracr/jax are missing; {INSTALL_HINT}")
        return compile_program(self.program(), set(self.vocab), self.max_seq_len, self.compiler_bos)

    def artifact(self, cache_root: Path) -> Artifact:
        def build() -> Artifact:
            assembled = self.compile()
            arch, state = convert(assembled)
            info = tracr_info(assembled, self.max_seq_len, self.unique_inputs)
            return state, {"model": self.name, "arch": arch, "info": dataclasses.asdict(info),
                           "tracr": importlib.metadata.version("tracr-pypi")}

        return cached_artifact(cache_root, self.payload(), build)

    def load(self, seed: int, cache_root: Path) -> TransformerBridge:
        if seed != 0:
            raise ValueError(f"{self.name} is compiled: it has seed 0 only, not {seed}")
        state, meta = self.artifact(cache_root)
        bridge = bridge_from_native(meta["arch"], state, self.name)
        bridge.tracr = TracrInfo(**meta["info"])
        return bridge


def compiled_circuit(model) -> tuple[list[tuple[int, int]], list[int]]:
    """(heads as (layer, head), MLP layers) whose output can be non-zero: a head whose OV
    circuit ``W_V W_O`` is non-zero, an MLP whose output weights or bias are.
    Everything else is tracr's zero padding."""
    heads, mlps = [], []
    for layer, block in enumerate(model.blocks):
        ov = torch.einsum("hmd,hdn->hmn", model.W_V[layer], model.W_O[layer])
        heads += [(layer, head) for head in range(model.cfg.n_heads) if ov[head].abs().max() > 0]
        if model.W_out[layer].abs().max() > 0 or model.b_out[layer].abs().max() > 0:
            mlps.append(layer)
    return heads, mlps
