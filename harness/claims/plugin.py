"""pytest plugin: hooks of a few lines delegating to ``harness.claims.collector`` (claims
parametrised over models x seeds, marked, their evidence recorded) and to the controller's
``harness.claims.reporter.ClaimsReporter`` (the report gathered from every xdist worker), and
the fixtures a claim names (``model``, ``evidence``, ``checkpoints``, ...).

Registered through the ``pytest11`` entry point named ``harness.claims.plugin`` (the module name, so
that the root ``conftest.py`` naming the same module does not register it twice).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import pytest
import torch

from harness.claims.claim import Target, claim_spec
from harness.claims.collector import add_models, mark_claims, parametrize, record_evidence, refuse_unknown_selection
from harness.claims.evidence import Evidence
from harness.claims.reporter import ClaimsReporter, report_dir
from harness.claims.scheduling import TargetScheduling
from harness.claims.sharding import parse_shard, select_shard
from harness.claims.snapshots import RoundedJSONSnapshot
from harness.interp.activation_cache import set_store
from harness.models import memory_cache
from harness.models.activation_store import DiskActivationStore
from harness.models.devices import DTYPES, place_worker
from harness.models.registry import ModelUnavailable


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mi-claims")
    group.addoption(
        "--claims-models",
        default=None,
        help="comma-separated model names: run claims only on these models",
    )
    group.addoption(
        "--claims-add-model",
        action="append",
        default=[],
        metavar="SPEC",
        help="add a model to the run and to the causal-lm group (repeatable): hf:org/name[@revision], "
        "path:/dir, tl:<TransformerLens name>, gguf:/file.gguf or py:module:function; also "
        "add-models = [...] under [tool.mi-claims] in pyproject.toml",
    )
    group.addoption(
        "--claims-cache-dir",
        default=None,
        help="disk cache of trained / converted models (default: $MI_CLAIMS_CACHE or ~/.cache/mi-claims)",
    )
    group.addoption(
        "--claims-report-dir",
        default=None,
        help="where claims.json / claims.md are written (default: <rootdir>/reports)",
    )
    group.addoption(
        "--claims-shard",
        default=None,
        metavar="i/n",
        help="run shard i of n (whole (model, seed) groups); merge the shards' reports with "
        "`python -m harness.claims.report merge`",
    )
    group.addoption(
        "--claims-dtype",
        default="float32",
        choices=sorted(DTYPES),
        help="dtype the models run in (default float32; bfloat16 / float16 on a GPU trade precision for speed: "
        "compare the report with a float32 one, e.g. scripts/gpu-check.sh)",
    )
    group.addoption(
        "--claims-activation-disk",
        default=None,
        metavar="SIZE",
        help="keep clean-pass activations on disk for warm runs, at most SIZE (e.g. 4G, 500M) under "
        "<cache dir>/activations, least recently used first out (default: off)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        place_worker()  # worker i on GPU i mod G, first: before anything can initialise CUDA
    config.addinivalue_line("markers", "claim: a mechanistic hypothesis (set by @claim)")
    config.addinivalue_line("markers", "slow: long-running; CI skips it with -m 'not slow'")
    config.addinivalue_line("markers", "replication: a paper's own setting (sizes, steps, precision); "
                            "opt in with -m replication, meant for a GPU machine")
    config.addinivalue_line("markers", "lm: claims on the text language models trained here (catalog.lm); opt in "
                            "with -m lm: cold, they train for hours on CPU, minutes on a GPU")
    if shard := config.getoption("claims_shard"):
        parse_shard(shard)  # a bad value fails before collection
    if cache_dir := config.getoption("claims_cache_dir"):
        memory_cache.set_cache_root(Path(cache_dir))
    memory_cache.set_dtype(DTYPES[config.getoption("claims_dtype")])
    if size := config.getoption("claims_activation_disk"):
        try:
            set_store(DiskActivationStore.of_size(memory_cache.cache_root() / "activations", size))
        except ValueError as err:
            raise pytest.UsageError(f"--claims-activation-disk: {err}") from None
    add_models(config)  # on the controller and on each xdist worker: both parametrise claims
    if hasattr(config, "workerinput"):
        # xdist workers share the cores: one BLAS pool per core, not one per worker per core
        workers = int(config.workerinput.get("workercount", 1))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
    else:  # the controller (or a run without xdist)
        config.pluginmanager.register(ClaimsReporter(config), "mi_claims.reporter")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize(metafunc)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``-n N`` (``--dist load``) and ``--dist loadgroup`` send all claims on one (model, seed)
    to one worker; other ``--dist`` modes are the user's explicit choice."""
    if config.getvalue("dist") in ("load", "loadgroup"):
        return TargetScheduling(config, log)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """On the controller, before xdist starts workers (the conftests registering models are loaded)."""
    if not hasattr(session.config, "workerinput"):
        refuse_unknown_selection(session.config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_claims(items)
    select_shard(config, items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    return (yield from record_evidence(item))


def load_or_skip(request: pytest.FixtureRequest, name: str, seed: int) -> Any:
    """Model ``name`` at ``seed`` (loaded once per worker); skips the claim if it is unavailable.

    Output capture is off while loading so that training progress reaches the terminal live
    (from xdist workers too: their stderr is the controller's)."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    try:
        with capture.global_and_fixture_disabled():
            return memory_cache.load_model(name, seed)
    except ModelUnavailable as err:
        pytest.skip(f"{name}: {err}")


@pytest.fixture
def model(request: pytest.FixtureRequest, target: Target) -> Any:
    """The claim's model; skips the claim if it is unavailable."""
    return load_or_skip(request, target.model, target.seed)


@pytest.fixture
def model_at_seed(request: pytest.FixtureRequest, target: Target) -> Callable[[str], Any]:
    """``model_at_seed(name)``: another registered model at the claim's seed (the baseline a
    variant is compared with); skips the claim if it is unavailable."""
    return lambda name: load_or_skip(request, name, target.seed)


@pytest.fixture
def checkpoints(model: Any, target: Target) -> dict[int, Any]:
    """{step: model} saved by the claim model's training run (requests ``model`` first, which
    trains it if it is not in the disk cache)."""
    return memory_cache.load_checkpoints(target.model, target.seed)


@pytest.fixture
def evidence(request: pytest.FixtureRequest, target: Target, model: Any) -> Evidence:
    """Records the claim's measurements; the claim fails at its end if any expectation failed.

    Requests ``model`` so that every claim's model is loaded (or trained, progress visible)
    before the claim body, also for claims that read only its training checkpoints, and so
    that a claim on an unavailable model is skipped whatever fixtures it names."""
    spec = claim_spec(request.function)
    ev = Evidence(
        claim_id=request.node.nodeid,
        problem=spec.problem if spec else "",
        model=target.model,
        seed=target.seed,
    )
    request.node._mi_evidence = ev
    return ev


@pytest.fixture
def plot_dir(request: pytest.FixtureRequest) -> Path:
    """``<report dir>/plots``: where claims write the figures they ``evidence.attach``."""
    path = report_dir(request.config) / "plots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def claim_snapshot(snapshot):
    """syrupy snapshot storing rounded, readable JSON (use with ``evidence.matches_snapshot``)."""
    return snapshot.use_extension(RoundedJSONSnapshot)
