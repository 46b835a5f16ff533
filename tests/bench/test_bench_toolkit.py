"""Harness overhead against the bare forward (and backward) passes each measurement needs.

Not part of the ordinary test run: the project's ``addopts`` pass ``--dist loadgroup``, which
makes pytest-benchmark disable benchmarks, and every test here then skips. Run them with

    pytest tests/bench -p no:randomly --dist no --benchmark-only

Each test times the harness function with pytest-benchmark, and computes the ratio harness /
bare passes from interleaved runs of both (min of 7 each, 3 on SmolLM2; bare passes under
``torch.inference_mode()``), so that load from other processes hits both alike; the ratio is
printed and stored in the benchmark's ``extra_info``. The issue's goals (#20): at most 1.10 on
SmolLM2, at most 1.25 on toy-attn-2l, where fixed hook costs dominate. Information, never an
assert. The activation memo is off (``MEMO.max_bytes = 0``): with it, a repeated harness call
would time a dictionary lookup. The bare side runs the same passes on the same batch shapes:
- head scores: one forward pass caching the attention patterns;
- per-head patching: one clean forward (caching hook_z) + the corrupted batch stacked as
  replicas, at most 64 rows a pass (``activation_patch``), as many passes as the harness runs;
- late-head patching: one clean forward + one full corrupted pass per head, where the harness
  resumes at the patched layer (not an overhead but the saving: below 1);
- path patching to the logits: one clean and one corrupted forward (caching hook_z);
- attribution patching: one clean forward + one corrupted forward and backward to the
  residual stream (the bare backward needs one hook to start from: a zero added at
  ``blocks.0.hook_resid_pre``);
- DLA: one forward pass caching hook_z, the MLP outputs, the embeddings and the final scale.

Where TransformerLens sets the floor: ``test_bridge_forward_overhead`` times a bare
``TransformerBridge`` forward against its wrapped model's own forward (``model.original_model``):
every hook point of the bridge is a module call, whether or not a hook is attached, and no
harness function can run below that ratio. ``test_run_with_cache_overhead`` times TL's
``run_with_cache`` keeping a single hook against a bare bridge forward: the fixed cost each
caching pass (head scores, DLA, the clean side of patching) pays before any harness code runs.
"""

from __future__ import annotations

import functools
import time

import pytest
import torch

from catalog.datasets import repeated_random_tokens
from harness.interp.activation_cache import MEMO
from harness.interp.ablation import cache_activations, each_head_sites
from harness.interp.attribution import attribute_heads
from harness.interp.dla import logit_attribution
from harness.interp.heads import induction_scores
from harness.interp.hooks import EMBED_HOOK, RESID_HOOK, Z_HOOK
from harness.interp.metrics import answer_logit_diff
from harness.interp.patching import activation_patch, patch_sites, path_patch_heads_to_logits
from harness.models.memory_cache import load_model

pytestmark = [pytest.mark.benchmark, pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")]
#: (pytest-benchmark rounds, interleaved repeats): fewer on SmolLM2, whose passes take seconds here
REPEATS = {"toy-attn-2l": (5, 7), "smollm2-135m": (1, 3)}
MODELS = ["toy-attn-2l", "smollm2-135m"]
#: (prompts, repeated block length): a SmolLM2 case takes seconds on 2 cores
SHAPES = {"toy-attn-2l": (16, 20), "smollm2-135m": (2, 6)}
#: per-head patching on SmolLM2 patches the heads of its first 2 layers only (18 of 270 sites)
PATCHED_LAYERS = {"toy-attn-2l": 2, "smollm2-135m": 2}
MAX_ROWS = 64  # activation_patch's default replica rows per pass


@functools.lru_cache(maxsize=None)
def bench_model(name: str):
    torch.set_num_threads(1)
    return load_model(name, 0)


@pytest.fixture(autouse=True)
def no_memo(monkeypatch):
    monkeypatch.setattr(MEMO, "max_bytes", 0)


def interleaved_best(bare_fn, harness_fn, repeats: int = 7) -> tuple[float, float]:
    """(min bare time, min harness time) over alternating runs; one warm-up run each."""
    times: dict = {bare_fn: [], harness_fn: []}
    for _ in range(repeats + 1):
        for fn in (bare_fn, harness_fn):
            start = time.perf_counter()
            fn()
            times[fn].append(time.perf_counter() - start)
    return min(times[bare_fn][1:]), min(times[harness_fn][1:])


def forwards(model, batches: list[torch.Tensor]) -> None:
    with torch.inference_mode():
        for tokens in batches:
            model(tokens)


def forward_backward(model, tokens: torch.Tensor, metric) -> None:
    """One forward and backward pass to ``blocks.0.hook_resid_pre`` (the one hook a backward needs)."""
    delta = []

    def add_zero(resid, hook=None):
        delta.append(torch.zeros_like(resid, requires_grad=True))
        return resid + delta[0]

    with torch.enable_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(RESID_HOOK.format(layer=0, where="pre"), add_zero)])
        torch.autograd.grad(metric(logits), delta)


def measure(benchmark, label: str, bare_fn, harness_fn, name: str) -> None:
    """Benchmark ``harness_fn`` on model ``name``; record and print its ratio to ``bare_fn``."""
    rounds, repeats = REPEATS[name]
    benchmark.pedantic(harness_fn, rounds=rounds, iterations=1, warmup_rounds=1)
    bare, harness = interleaved_best(bare_fn, harness_fn, repeats)
    benchmark.extra_info.update(bare_seconds=bare, harness_seconds=harness, overhead_ratio=harness / bare)
    print(f"\n{label}: harness {harness * 1e3:.1f} ms, bare passes {bare * 1e3:.1f} ms, ratio {harness / bare:.3f}")


def prompts(model, name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(clean, corrupted, answers, wrong): repeated random tokens, the corrupted run another
    seed's; the answer is the clean next token at the last position, wrong the corrupted one."""
    batch, block = SHAPES[name]
    clean = repeated_random_tokens(batch, block, model.cfg.d_vocab, seed=0)
    corrupted = repeated_random_tokens(batch, block, model.cfg.d_vocab, seed=1)
    return clean, corrupted, clean[:, block], corrupted[:, block]


@pytest.mark.parametrize("name", MODELS)
def test_bridge_forward_overhead(enabled_benchmark, name):
    """TransformerLens's floor: a bare bridge forward against its wrapped model's own forward."""
    model = bench_model(name)
    clean, *_ = prompts(model, name)
    enabled_benchmark.group = f"bridge floor {name}"
    measure(enabled_benchmark, f"bridge forward / wrapped model forward, {name}",
            lambda: forwards(model.original_model, [clean]), lambda: forwards(model, [clean]), name)


@pytest.mark.parametrize("name", MODELS)
def test_run_with_cache_overhead(enabled_benchmark, name):
    """TransformerLens's floor for every caching measurement: ``run_with_cache`` keeping one
    hook against a bare forward of the bridge."""
    model = bench_model(name)
    clean, *_ = prompts(model, name)

    def cache_embeddings():
        with torch.inference_mode():
            model.run_with_cache(clean, names_filter=lambda hook_name: hook_name == EMBED_HOOK)

    enabled_benchmark.group = f"run_with_cache floor {name}"
    measure(enabled_benchmark, f"run_with_cache (one hook) / forward, {name}", lambda: forwards(model, [clean]),
            cache_embeddings, name)


@pytest.mark.parametrize("name", MODELS)
def test_head_scores_overhead(enabled_benchmark, name):
    model = bench_model(name)
    clean, *_ = prompts(model, name)
    enabled_benchmark.group = f"head scores {name}"
    measure(enabled_benchmark, f"induction scores, {name}", lambda: forwards(model, [clean]),
            lambda: induction_scores(model, clean), name)


@pytest.mark.parametrize("name", MODELS)
def test_head_patching_overhead(enabled_benchmark, name):
    model = bench_model(name)
    clean, corrupted, answers, wrong = prompts(model, name)
    metric = answer_logit_diff(answers, wrong)
    sites = each_head_sites(PATCHED_LAYERS[name], model.cfg.n_heads)
    per_run = max(1, MAX_ROWS // len(clean))
    stacked = [corrupted.repeat(min(per_run, len(sites) - start), 1) for start in range(0, len(sites), per_run)]
    enabled_benchmark.group = f"per-head patching {name}"
    measure(enabled_benchmark, f"per-head patching ({len(sites)} heads), {name}",
            lambda: forwards(model, [clean, *stacked]), lambda: patch_sites(model, clean, corrupted, sites, metric), name)


@pytest.mark.parametrize("name", MODELS)
def test_late_head_patching_against_full_passes(enabled_benchmark, name):
    """Each head of the last layer patched in a pass of its own: the harness's passes
    resume at that layer (``harness.interp.resume``) after one clean pass for the residual
    entering it (the memo is off), the bare passes run every block."""
    model = bench_model(name)
    clean, corrupted, answers, wrong = prompts(model, name)
    metric = answer_logit_diff(answers, wrong)
    layer, n_heads = model.cfg.n_layers - 1, model.cfg.n_heads
    sites = each_head_sites(model.cfg.n_layers, n_heads)[-n_heads:]  # the last layer's heads
    enabled_benchmark.group = f"late-head patching {name}"

    def harness():
        clean_acts = cache_activations(model, clean, {Z_HOOK.format(layer=layer)})
        return activation_patch(model, corrupted, clean_acts, sites, metric, max_rows=len(corrupted))

    measure(enabled_benchmark, f"patching layer {layer}'s {len(sites)} heads one a pass, {name}",
            lambda: forwards(model, [clean] + [corrupted] * len(sites)), harness, name)


@pytest.mark.parametrize("name", MODELS)
def test_path_patching_to_logits_overhead(enabled_benchmark, name):
    model = bench_model(name)
    clean, corrupted, answers, wrong = prompts(model, name)
    enabled_benchmark.group = f"path patching to logits {name}"
    measure(enabled_benchmark, f"path patching heads -> logits, {name}", lambda: forwards(model, [clean, corrupted]),
            lambda: path_patch_heads_to_logits(model, clean, corrupted, answers, wrong), name)


@pytest.mark.parametrize("name", MODELS)
def test_attribution_patching_overhead(enabled_benchmark, name):
    model = bench_model(name)
    clean, corrupted, answers, wrong = prompts(model, name)
    metric = answer_logit_diff(answers, wrong)

    def bare():
        forwards(model, [clean])
        forward_backward(model, corrupted, metric)

    enabled_benchmark.group = f"attribution patching {name}"
    measure(enabled_benchmark, f"attribution patching of heads, {name}", bare,
            lambda: attribute_heads(model, clean, corrupted, metric), name)


@pytest.mark.parametrize("name", MODELS)
def test_dla_overhead(enabled_benchmark, name):
    model = bench_model(name)
    clean, _, answers, wrong = prompts(model, name)
    enabled_benchmark.group = f"DLA {name}"
    measure(enabled_benchmark, f"direct logit attribution, {name}", lambda: forwards(model, [clean]),
            lambda: logit_attribution(model, clean, answers, wrong), name)
