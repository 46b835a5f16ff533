"""Harness overhead against the bare forward passes each measurement needs.

Not part of the ordinary test run: the project's ``addopts`` pass ``--dist loadgroup``, which
makes pytest-benchmark disable benchmarks, and every test here then skips. Run them with

    pytest tests/bench -p no:randomly --dist no --benchmark-only

Each test times the harness function with pytest-benchmark, and computes the ratio harness /
bare forward passes from interleaved runs of both (min of 7 each, bare passes under
``torch.inference_mode()``), so that load from other processes hits both alike; the ratio is
printed and stored in the benchmark's ``extra_info`` (target < 1.10).
- head scores: one forward pass caching the attention patterns;
- per-head patching: one clean forward (caching hook_z) + one corrupted forward per head.
"""

from __future__ import annotations

import functools
import time

import pytest
import torch
from transformer_lens.model_bridge import TransformerBridge

from catalog.datasets import repeated_random_tokens
from harness.interp.heads import induction_scores
from harness.interp.metrics import answer_logit_diff
from harness.interp.patching import patch_head_outputs
from harness.models.memory_cache import load_model

pytestmark = [pytest.mark.benchmark, pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")]
ROUNDS = 5


@functools.lru_cache(maxsize=None)
def bench_model(name: str):
    torch.set_num_threads(1)
    if name == "toy-attn-2l":
        return load_model("toy-attn-2l", 0)
    # randomly initialised, 4 layers x 8 heads, d_model 256 (no training needed for timing)
    return TransformerBridge.boot_native(dict(n_layers=4, d_model=256, n_heads=8, d_head=32, d_mlp=1024, n_ctx=64,
                                              d_vocab=512, act_fn="gelu", normalization_type="LN", seed=0)).eval()


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


def measure(benchmark, label: str, bare_fn, harness_fn) -> None:
    """Benchmark ``harness_fn``; record and print its ratio to ``bare_fn``."""
    benchmark.pedantic(harness_fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    bare, harness = interleaved_best(bare_fn, harness_fn)
    benchmark.extra_info.update(bare_forward_seconds=bare, harness_seconds=harness, overhead_ratio=harness / bare)
    print(f"\n{label}: harness {harness * 1e3:.1f} ms, bare forwards {bare * 1e3:.1f} ms, ratio {harness / bare:.3f}")


@pytest.fixture
def enabled_benchmark(benchmark):
    """pytest-benchmark's fixture, or a skip where it would not time (xdist's ``--dist`` is on,
    as in the project's default options, or ``--benchmark-disable``)."""
    if benchmark.disabled:
        pytest.skip("benchmarks are disabled here; run: pytest tests/bench -p no:randomly --dist no --benchmark-only")
    return benchmark


@pytest.mark.parametrize("name", ["toy-attn-2l", "random-4l8h-d256"])
def test_head_scores_overhead(enabled_benchmark, name):
    model = bench_model(name)
    tokens = repeated_random_tokens(64, 20, model.cfg.d_vocab, seed=0)
    enabled_benchmark.group = f"head scores {name}"
    measure(enabled_benchmark, f"induction scores, {name}", lambda: forwards(model, [tokens]),
            lambda: induction_scores(model, tokens))


@pytest.mark.parametrize("name", ["toy-attn-2l", "random-4l8h-d256"])
def test_head_patching_overhead(enabled_benchmark, name):
    model = bench_model(name)
    clean = repeated_random_tokens(16, 20, model.cfg.d_vocab, seed=0)
    corrupted = repeated_random_tokens(16, 20, model.cfg.d_vocab, seed=1)
    metric = answer_logit_diff(clean[:, -1], corrupted[:, -1])
    n_heads = model.cfg.n_layers * model.cfg.n_heads
    enabled_benchmark.group = f"per-head patching {name}"
    measure(enabled_benchmark, f"per-head patching ({n_heads} heads), {name}",
            lambda: forwards(model, [clean] + [corrupted] * n_heads),
            lambda: patch_head_outputs(model, clean, corrupted, metric))
