"""Whole-run benchmarks (issue #20): peak memory, scaling over workers, distance from the limit.

Each runs ``pytest`` (or a Python snippet) in subprocesses on the warm model cache, and stores
what it measured in the benchmark's ``extra_info`` (and prints it); nothing is asserted about
speed or memory. Run them with the toolkit benchmarks:

    pytest tests/bench -p no:randomly --dist no --benchmark-only -s

- memory: peak RSS of one worker (``ru_maxrss`` of a child) running the IOI pack on SmolLM2,
  and of attribution patching alone on SmolLM2's 100 IOI prompts, chunked by the toolkit's bounds
  (``harness.interp.attribution.MAX_LOGIT_ELEMENTS``, ``MAX_RESIDUAL_ELEMENTS``) and in one backward pass;
- scaling: wall time of ``SUBSET`` with 1, 2 and 4 xdist workers, ratios to 1 worker;
- distance from the limit: the estimated forward FLOPs of the passes the 1-worker run needed
  (``run.passes.needed_flops`` of its ``claims.json``) over the GEMM rate measured here (float32
  matmul, 2 threads) is the time a perfect implementation would take; wall time / that floor.
  Backward passes are not counted, so the floor is low and the ratio high by their share.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch

pytestmark = [pytest.mark.benchmark, pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")]
ROOT = Path(__file__).resolve().parents[2]
#: a warm subset of the default tier (24 claims on 9 toy models; 244 s on 1 worker at load 16 on 2 cores)
SUBSET = ["claims/induction", "-k", "not smollm2"]
WORKERS = [1, 2, 4]
#: run a command as a child and print the largest resident set of it and its descendants (kB)
PEAK = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
        "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
ATTRIBUTION = """
import sys
import catalog
from catalog.prompts.ioi import DATA_SEED, N_PROMPTS, ioi_prompts
from harness.interp import attribution
from harness.interp.metrics import answer_logit_diff
from harness.models.memory_cache import load_model
if int(sys.argv[1]):  # 0: the toolkit's own bounds
    attribution.MAX_LOGIT_ELEMENTS = attribution.MAX_RESIDUAL_ELEMENTS = int(sys.argv[1])
model = load_model("smollm2-135m", 0)
p = ioi_prompts(model.tokenizer, N_PROMPTS, DATA_SEED)
attribution.attribute_heads(model, p.corrupted, p.tokens, answer_logit_diff(p.io, p.s))
"""


def peak_rss(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB of the largest process) of ``command`` run in the repository root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]  # 1: some claim failed, as expected
    peak = next(line for line in done.stdout.splitlines() if line.startswith("PEAK_RSS_KB"))
    return wall, int(peak.split()[1]) / 1024


def run_subset(workers: int) -> tuple[float, dict]:
    """(wall seconds, ``claims.json``) of ``SUBSET`` on ``workers`` xdist workers."""
    report_dir = tempfile.mkdtemp(prefix="bench-reports-")
    wall, _ = peak_rss([sys.executable, "-m", "pytest", *SUBSET, "-n", str(workers), "-p", "no:randomly", "-q",
                        "--claims-report-dir", report_dir])
    return wall, json.loads((Path(report_dir) / "claims.json").read_text())


@functools.cache
def warm_up() -> None:
    run_subset(1)


@functools.cache
def suite_run(workers: int) -> tuple[float, dict]:
    """``run_subset(workers)`` after the session's one warm-up run (scaling and distance share it)."""
    warm_up()
    return run_subset(workers)


def gemm_flops_per_second(n: int = 1024, threads: int = 2, repeats: int = 10) -> float:
    """Best float32 ``n`` x ``n`` matmul rate on ``threads`` threads."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        best = min(timed(lambda: a @ b) for _ in range(repeats))
    finally:
        torch.set_num_threads(previous)
    return 2 * n**3 / best


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def record(benchmark, label: str, **values) -> None:
    benchmark.extra_info.update(values)
    print(f"\n{label}: " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()))


def test_ioi_pack_peak_rss(enabled_benchmark):
    """Peak RSS of one worker running ``claims/ioi`` on SmolLM2."""
    enabled_benchmark.group = "memory"
    wall, peak = enabled_benchmark.pedantic(
        peak_rss, args=([sys.executable, "-m", "pytest", "claims/ioi", "-k", "smollm2", "-n", "0", "-p", "no:randomly",
                         "-q", "--claims-report-dir", tempfile.mkdtemp(prefix="bench-reports-")],), rounds=1, iterations=1)
    record(enabled_benchmark, "IOI pack on SmolLM2, one worker", peak_rss_mb=peak, wall_s=wall)


# the IOI metric reads the last position: its logits are 100 x 1 x 49k, its residual stream 100 x 16 x 30 x 576
@pytest.mark.parametrize("elements", [0, 1 << 40], ids=["chunked", "one-pass"])
def test_attribution_patching_peak_rss(enabled_benchmark, elements):
    """Peak RSS of attribution patching of heads on SmolLM2's 100 IOI prompts (with the model
    load: its own RSS is the rest), the backward pass chunked by the toolkit's bounds or in one pass."""
    enabled_benchmark.group = "memory"
    wall, peak = enabled_benchmark.pedantic(peak_rss, args=([sys.executable, "-c", ATTRIBUTION, str(elements)],),
                                            rounds=1, iterations=1)
    record(enabled_benchmark, f"attribution patching on SmolLM2, {'chunked' if elements == 0 else 'one pass'}", peak_rss_mb=peak, wall_s=wall)


def test_scaling_over_workers(enabled_benchmark):
    """Wall time of ``SUBSET`` with 1, 2 and 4 workers on the warm cache."""
    enabled_benchmark.group = "scaling"
    walls = enabled_benchmark.pedantic(lambda: {n: suite_run(n)[0] for n in WORKERS}, rounds=1, iterations=1)
    record(enabled_benchmark, f"{' '.join(SUBSET)} over workers",
           **{f"wall_s_{n}": walls[n] for n in WORKERS}, **{f"ratio_{n}_to_1": walls[n] / walls[1] for n in WORKERS})


def test_distance_from_the_limit(enabled_benchmark):
    """Wall time of ``SUBSET`` on 1 worker / (FLOPs of its needed passes / measured GEMM rate)."""
    enabled_benchmark.group = "distance from the limit"
    rate = enabled_benchmark.pedantic(gemm_flops_per_second, rounds=1, iterations=1)
    wall, report = suite_run(1)
    flops = report["run"]["passes"]["needed_flops"]
    record(enabled_benchmark, f"{' '.join(SUBSET)}, 1 worker", gemm_gflops=rate / 1e9, needed_gflop=flops / 1e9,
           floor_s=flops / rate, wall_s=wall, wall_over_floor=wall * rate / flops)
