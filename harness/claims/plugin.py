"""pytest plugin: claims parametrised over models x seeds, the ``model`` / ``evidence``
fixtures, and the claims report gathered from every xdist worker.

Registered through the ``pytest11`` entry point named ``harness.claims.plugin`` (the module name, so
that the root ``conftest.py`` naming the same module does not register it twice).
"""

from __future__ import annotations

import inspect
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import torch

from harness.claims.claim import ClaimDeclarationError, Target, claim_spec, where
from harness.claims.evidence import Evidence, ExpectationFailed, Inconclusive
from harness.claims.report import LOG_NAME, ClaimRun, RunLog, write_reports
from harness.claims.scheduling import TargetScheduling
from harness.claims.snapshots import RoundedJSONSnapshot
from harness.models import memory_cache
from harness.models.registry import ModelUnavailable, model_names

CLAIM_KEY = "mi_claims.claim"
RESULT_KEY = "mi_claims.result"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mi-claims")
    group.addoption(
        "--claims-models",
        default=None,
        help="comma-separated model names: run claims only on these models",
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim: a mechanistic hypothesis (set by @claim)")
    config.addinivalue_line("markers", "slow: long-running; CI skips it with -m 'not slow'")
    config.addinivalue_line("markers", "replication: a paper's own setting (sizes, steps, precision); "
                            "opt in with -m replication, meant for a GPU machine")
    if cache_dir := config.getoption("claims_cache_dir"):
        memory_cache.set_cache_root(Path(cache_dir))
    if hasattr(config, "workerinput"):
        # xdist workers share the cores: one BLAS pool per core, not one per worker per core
        workers = int(config.workerinput.get("workercount", 1))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
    else:  # the controller (or a run without xdist)
        config.pluginmanager.register(ClaimsReporter(config), "mi_claims.reporter")


def selected_models(config: pytest.Config) -> set[str] | None:
    raw = config.getoption("claims_models")
    return {name.strip() for name in raw.split(",") if name.strip()} if raw else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    spec = claim_spec(metafunc.function)
    if spec is None:
        return
    unknown = [m for m in spec.models if m not in model_names()]
    if unknown:
        raise ClaimDeclarationError(
            f"{where(metafunc.function)}: unknown model(s) {unknown}. "
            f"Fix: use registered names ({', '.join(model_names())}) or register the model in a catalog/ module listed in catalog/__init__.py"
        )
    wanted = selected_models(metafunc.config)
    params = [
        pytest.param(
            target,
            id=target.id,
            marks=[] if wanted is None or target.model in wanted else [pytest.mark.skip(reason=f"--claims-models excludes {target.model}")],
        )
        for target in spec.targets()
    ]
    metafunc.parametrize("target", params)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``-n N`` (``--dist load``) and ``--dist loadgroup`` send all claims on one (model, seed)
    to one worker; other ``--dist`` modes are the user's explicit choice."""
    if config.getvalue("dist") in ("load", "loadgroup"):
        return TargetScheduling(config, log)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """A typo in --claims-models would skip every claim and pass the run: refuse it (on the
    controller, before xdist starts workers; the conftests registering models are loaded)."""
    if hasattr(session.config, "workerinput"):
        return
    if unknown := sorted((selected_models(session.config) or set()) - set(model_names())):
        raise pytest.UsageError(f"--claims-models: unknown model(s) {unknown}; registered: {', '.join(model_names())}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        spec = claim_spec(getattr(item, "function", None))
        if spec is None:
            continue
        target: Target = item.callspec.params["target"]
        refuted, machine_dependent = spec.refuted_on(target), spec.machine_dependent_on(target)
        if refuted:
            item.add_marker(pytest.mark.xfail(reason=refuted, raises=ExpectationFailed, strict=True))
        if machine_dependent:  # either verdict passes the run; the report says which one
            item.add_marker(pytest.mark.xfail(reason=machine_dependent, raises=ExpectationFailed, strict=False))
        item.user_properties.append(
            (
                CLAIM_KEY,
                {
                    "claim": item.originalname,
                    "file": item.nodeid.split("::")[0],
                    "problem": spec.problem,
                    "statement": spec.statement,
                    "expected": "refuted" if refuted else "machine-dependent" if machine_dependent else "holds",
                    "refuted_reason": refuted,
                    "machine_dependent_reason": machine_dependent,
                    "model": target.model,
                    "seed": target.seed,
                    "docstring": inspect.cleandoc(item.function.__doc__ or ""),
                },
            )
        )


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


def outcome_of(exc: BaseException | None) -> str:
    if exc is None:
        return "holds"
    if isinstance(exc, Inconclusive):
        return "inconclusive"
    return "fails" if isinstance(exc, ExpectationFailed) else "error"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After the claim body: raise the collected expectation failures, and record the
    evidence in ``user_properties`` (which xdist ships to the controller)."""
    ev: Evidence | None = getattr(item, "_mi_evidence", None)
    if ev is None:
        return (yield)
    exc: BaseException | None = None
    try:
        result = yield
        ev.raise_if_failed()
        return result
    except BaseException as err:
        exc = err
        raise
    finally:
        target: Target = item.callspec.params["target"]
        item.user_properties.append(
            (RESULT_KEY, {"outcome": outcome_of(exc), "message": str(exc) if exc else "", **ev.to_json(),
                          "provenance": memory_cache.provenance(target.model, target.seed)})
        )


class ClaimsReporter:
    """Lives on the controller: gathers every claim's reports, logs each as it arrives (a killed
    controller leaves them on disk) and writes the report at the end, also when the run is
    interrupted by Ctrl-C or SIGTERM (what ``timeout``, CI runners and SLURM send)."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.runs: dict[str, ClaimRun] = {}
        self.started = time.time()
        self.log: RunLog | None = None
        self.previous_sigterm: Any = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Refuse a report directory that cannot be written before any claim runs."""
        directory = report_dir(self.config)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=directory).close()
        except OSError as err:
            raise pytest.UsageError(f"--claims-report-dir {directory}: the report cannot be written there ({err.strerror or err})")
        self.previous_sigterm = signal.signal(signal.SIGTERM, interrupt_on_sigterm)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self.previous_sigterm)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if CLAIM_KEY not in props:
            return
        nodeid = report.nodeid
        run = self.runs.setdefault(nodeid, ClaimRun(nodeid=nodeid, **props[CLAIM_KEY]))
        if report.when == "call":
            run.duration = report.duration
        else:
            run.setup_duration += report.duration  # model loading / training
        if RESULT_KEY in props:
            result = props[RESULT_KEY]
            run.outcome, run.message = result["outcome"], result["message"]
            run.measurements, run.notes = result["measurements"], result["notes"]
            run.attachments, run.provenance = result["attachments"], result["provenance"]
        if report.skipped and not hasattr(report, "wasxfail") and run.outcome is None:
            run.outcome, run.message = "skipped", skip_reason(report)
        elif report.failed and report.when != "call":
            run.outcome, run.message = "error", f"{report.when}: {crash_message(report)}"
        elif report.failed and run.outcome is None:
            run.outcome, run.message = "error", crash_message(report)
        self.log = self.log or RunLog(report_dir(self.config) / LOG_NAME, self.started)
        self.log.write(run.to_json())

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """The report; on an interrupted run also when no claim had finished yet."""
        if not self.runs and exitstatus != pytest.ExitCode.INTERRUPTED:
            return
        if self.log is not None:
            self.log.close()
        paths = write_reports(
            list(self.runs.values()),
            report_dir(self.config),
            started=self.started,
            exitstatus=int(exitstatus),
            args=list(self.config.invocation_params.args),
        )
        self.paths = paths

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if getattr(self, "paths", None):
            terminalreporter.write_sep("-", "mi-claims report")
            for path in self.paths:
                terminalreporter.write_line(f"wrote {path}")


def interrupt_on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM ends the run as Ctrl-C does: pytest stops, and the partial report is written."""
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash is not None else str(report.longrepr)[-500:]


def report_dir(config: pytest.Config) -> Path:
    """Absolute, so that the plot paths recorded in claims.json do not depend on the cwd."""
    if option := config.getoption("claims_report_dir"):
        return (config.invocation_params.dir / option).resolve()
    return Path(config.rootpath) / "reports"


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
