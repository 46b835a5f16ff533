"""The controller's session object: gathers every claim's reports, logs each as it arrives and
writes the report at the end (``harness.claims.report``)."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from harness.claims.collector import CLAIM_KEY, PASSES_KEY, RESULT_KEY
from harness.claims.report import LOG_NAME, ClaimRun, RunLog, write_reports
from harness.models import passes


class ClaimsReporter:
    """Lives on the controller: gathers every claim's reports, logs each as it arrives (a killed
    controller leaves them on disk) and writes the report at the end, also when the run is
    interrupted by Ctrl-C or SIGTERM (what ``timeout``, CI runners and SLURM send)."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.runs: dict[str, ClaimRun] = {}
        self.pass_counts: dict[str, dict[str, dict[str, int]]] = {}  # worker -> its last snapshot
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
        if PASSES_KEY in props:
            self.pass_counts[props[PASSES_KEY]["worker"]] = props[PASSES_KEY]["counts"]
        if RESULT_KEY in props:
            result = props[RESULT_KEY]
            run.outcome, run.message = result["outcome"], result["message"]
            run.measurements, run.notes = result["measurements"], result["notes"]
            run.attachments, run.provenance = result["attachments"], result["provenance"]
            run.neuron_pages = result["neuron_pages"]
        if report.skipped and not hasattr(report, "wasxfail") and run.outcome is None:
            run.outcome, run.message = "skipped", skip_reason(report)
        elif report.failed and report.when != "call":
            run.outcome, run.message = "error", f"{report.when}: {crash_message(report)}"
        elif report.failed and run.outcome is None:
            run.outcome, run.message = "error", crash_message(report)
        self.log = self.log or RunLog(report_dir(self.config) / LOG_NAME, self.started, list(self.config.invocation_params.args))
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
            passes=passes.total(list(self.pass_counts.values())),
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
