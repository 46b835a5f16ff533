"""harness.claims.plugin end to end (pytester): claims on cheap fake models, run with and without
xdist, and the report they write. The fake models are registered by the generated conftest;
the plugin is loaded by its ``pytest11`` entry point (the real registry in ``catalog`` is not
imported)."""

from __future__ import annotations

import collections
import hashlib
import importlib.metadata
import json
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import submitit
import torch

from harness.claims.merge import merge
from harness.claims.report import LOG_NAME, read_log
from harness.claims.slurm import run_sharded

CONFTEST = '''
import dataclasses
import os

import torch

from harness.models.registry import ModelUnavailable, register_model


@dataclasses.dataclass(frozen=True)
class LinearSpec:
    """A 1x1 linear layer with weight scale * (seed + 1): a torch module, no training."""
    name: str
    description: str
    scale: float

    def load(self, seed, cache_root):
        with open("loads.txt", "a") as f:  # who loaded what, to check "once per worker"
            f.write(f"{os.getpid()} {self.name} {seed}\\n")
        layer = torch.nn.Linear(1, 1, bias=False)
        torch.nn.init.constant_(layer.weight, self.scale * (seed + 1))
        return layer


@dataclasses.dataclass(frozen=True)
class DictSpec:
    """Not even a module: a dict."""
    name: str
    description: str

    def load(self, seed, cache_root):
        return {"value": 10.0 * (seed + 1)}


@dataclasses.dataclass(frozen=True)
class MissingSpec:
    name: str
    description: str

    def load(self, seed, cache_root):
        raise ModelUnavailable("weights are not on this machine")


register_model(LinearSpec("fake-a", "fake linear model", 1.0))
register_model(DictSpec("fake-b", "fake dict model"))
register_model(MissingSpec("fake-missing", "fake model without weights"))
'''

CLAIMS = '''
import math
import os
import sys

import torch

from harness import claim


def value(model):
    if isinstance(model, torch.nn.Module):
        model(torch.ones(1, 1))  # a forward pass, counted in the report (twice the same input: one needed)
        return model.weight.sum()
    return model["value"]


@claim("3.16", "Fake models have a positive value", models=["fake-a", "fake-b"], seeds=[0, 1])
def test_holds(model, target, evidence, plot_dir):
    """Threshold 0: a fake model's value.
        Indented second line."""
    evidence.expect("value", value(model), ">", 0)
    evidence.note("worker", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    evidence.note("catalog imported", "catalog" in sys.modules)
    plot = plot_dir / f"{target.id}.txt"
    plot.write_text("a plot")
    evidence.attach("value plot", plot)


@claim("3.16", "Fake model a exceeds 100", models=["fake-a"], seeds=[0, 1])
def test_fails(model, evidence):
    evidence.expect("value", value(model), ">", 100)
    evidence.expect("negated value", -value(model), ">", 0)
    evidence.expect("value again", value(model), ">", 0)


@claim("1.9", "Fake model a exceeds 100 (refuted)", models=["fake-a"], seeds=[0, 1],
       refuted="the value is only 1 or 2")
def test_refuted(model, evidence):
    evidence.expect("value", value(model), ">", 100)


@claim("1.9", "Fake model a stays below 1.5", models=["fake-a"], seeds=[0, 1],
       refuted={"fake-a-seed1": "seed 1 has value 2"})
def test_refuted_on_one_seed(model, evidence):
    evidence.expect("value", value(model), "<", 1.5)


@claim("1.9", "Fake model a is positive (wrongly marked refuted)", models=["fake-a"], refuted="stale record")
def test_marked_refuted_but_holds(model, evidence):
    evidence.expect("value", value(model), ">", 0)


@claim("5.1", "A NaN measurement", models=["fake-a"], refuted="a NaN must not count as refuted")
def test_nan(model, evidence):
    evidence.expect("ratio", value(model) * math.nan, ">", 0)


@claim("5.1", "A model without weights", models=["fake-missing"])
def test_unavailable(model, evidence):
    evidence.expect("value", value(model), ">", 0)


@claim("5.1", "A claim that crashes", models=["fake-b"])
def test_crashes(model, evidence):
    evidence.expect("value", value(model), ">", 0)
    raise RuntimeError("boom in the claim")


@claim("5.1", "A claim that measures nothing", models=["fake-b"], refuted="returns early")
def test_measures_nothing(model, evidence):
    return


@claim("4.1", "Fake model a exceeds 0.5 once it exceeds 1.5", models=["fake-a"], seeds=[0, 1])
def test_untestable_on_one_seed(model, evidence):
    evidence.require("value (precondition)", value(model), ">", 1.5)
    evidence.expect("value", value(model), ">", 0.5)


@claim("4.1", "Fake model a exceeds 100 (refuted), if it exceeds 100", models=["fake-a"], refuted="never exceeds 100")
def test_untestable_and_marked_refuted(model, evidence):
    evidence.require("value (precondition)", value(model), ">", 100)
    evidence.expect("value", value(model), ">", 100)


@claim("5.1", "Flips when MI_FAKE_FLIP is set", models=["fake-b"])
def test_flips(model, evidence):
    evidence.expect("value", value(model) - (1000 if os.environ.get("MI_FAKE_FLIP") else 0), ">", 0)


@claim("5.1", "Interrupted when MI_FAKE_INTERRUPT is set", models=["fake-b"])
def test_interrupts(model, evidence):
    evidence.expect("value", value(model), ">", 0)
    if os.environ.get("MI_FAKE_INTERRUPT"):
        raise KeyboardInterrupt


@claim("5.1", "Runs after the interruption point", models=["fake-b"])
def test_zz_last(model, evidence):
    evidence.expect("value", value(model), ">", 0)
'''

# node id -> verdict of a full run
EXPECTED = {
    "test_holds[fake-a-seed0]": "holds",
    "test_holds[fake-a-seed1]": "holds",
    "test_holds[fake-b-seed0]": "holds",
    "test_holds[fake-b-seed1]": "holds",
    "test_fails[fake-a-seed0]": "fails",
    "test_fails[fake-a-seed1]": "fails",
    "test_refuted[fake-a-seed0]": "refuted-as-expected",
    "test_refuted[fake-a-seed1]": "refuted-as-expected",
    "test_refuted_on_one_seed[fake-a-seed0]": "holds",
    "test_refuted_on_one_seed[fake-a-seed1]": "refuted-as-expected",
    "test_marked_refuted_but_holds[fake-a-seed0]": "unexpectedly-holds",
    "test_nan[fake-a-seed0]": "error",
    "test_unavailable[fake-missing-seed0]": "skipped",
    "test_crashes[fake-b-seed0]": "error",
    "test_measures_nothing[fake-b-seed0]": "error",
    "test_flips[fake-b-seed0]": "holds",
    "test_interrupts[fake-b-seed0]": "holds",
    "test_zz_last[fake-b-seed0]": "holds",
    "test_untestable_on_one_seed[fake-a-seed0]": "inconclusive",
    "test_untestable_on_one_seed[fake-a-seed1]": "holds",
    "test_untestable_and_marked_refuted[fake-a-seed0]": "inconclusive",
}


@pytest.fixture
def claims_dir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)  # when these tests themselves run under xdist
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_claims=CLAIMS)
    return pytester


# sha256 of a 1x1 float32 linear layer's state dict with weight 2.0, as memory_cache.weight_hash
# reads it: "weight|torch.float32|(1, 1)|" and the weight's bytes
WEIGHT_2 = hashlib.sha256(b"weight|torch.float32|(1, 1)|" + struct.pack("<f", 2.0)).hexdigest()


def run_claims(pytester: pytest.Pytester, report: str, *args: str) -> tuple[pytest.RunResult, dict]:
    """Run pytest in a subprocess (the plugin comes from the entry point); the report's JSON.
    Plugins the claims do not use are off, to start faster."""
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark",
        "--claims-report-dir", report, *args,
    )
    path = pytester.path / report / "claims.json"
    assert path.exists(), result.stdout.str()
    return result, json.loads(path.read_text(), parse_constant=pytest.fail)


def by_test(record: dict) -> dict[str, dict]:
    return {c["nodeid"].removeprefix("test_claims.py::"): c for c in record["claims"]}


def comparable(claim: dict) -> dict:
    """A claim record without what differs between two runs (timings, which worker)."""
    return {k: v for k, v in claim.items() if k not in ("duration", "setup_duration", "notes")}


def check_xdist_run(pytester: pytest.Pytester, result: pytest.RunResult, record: dict) -> None:
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    claims = by_test(record)  # node ids as without xdist (no "@group" suffix)
    assert {name: c["verdict"] for name, c in claims.items()} == EXPECTED
    holds = [c for name, c in claims.items() if name.startswith("test_holds")]
    assert {c["notes"]["worker"] for c in holds} == {"gw0", "gw1"}  # merged from both workers
    assert not any(c["notes"]["catalog imported"] for c in holds)  # our real registry is not needed

    # each (model, seed) is loaded once, by one worker (claims are grouped per target)
    loads = collections.Counter(tuple(line.split()) for line in (pytester.path / "loads.txt").read_text().splitlines())
    assert set(loads.values()) == {1}
    assert sorted((name, seed) for _, name, seed in loads) == [("fake-a", "0"), ("fake-a", "1")]

    # the complete record of one claim
    held = claims["test_holds[fake-a-seed1]"]
    assert held["problem"] == "3.16" and held["statement"] == "Fake models have a positive value"
    assert held["file"] == "test_claims.py" and held["claim"] == "test_holds"
    assert held["docstring"] == "Threshold 0: a fake model's value.\nIndented second line."
    assert held["provenance"] == {"weights": WEIGHT_2, "device": "cpu", "dtype": "float32"}  # fake-a seed 1: weight 2.0
    assert claims["test_holds[fake-a-seed0]"]["provenance"]["weights"] != WEIGHT_2
    assert "Threshold 0: a fake model" in (pytester.path / "reports" / "claims.html").read_text()
    assert (held["model"], held["seed"], held["expected"], held["outcome"]) == ("fake-a", 1, "holds", "holds")
    assert held["measurements"] == [{"name": "value", "value": 2.0, "op": ">", "threshold": 0.0, "passed": True,
                                     "precondition": False, "count": False}]
    assert held["duration"] >= 0 and held["setup_duration"] >= 0 and held["message"] == ""
    assert held["attachments"] == {"value plot": str(pytester.path / "reports" / "plots" / "fake-a-seed1.txt")}
    failed = claims["test_fails[fake-a-seed1]"]
    assert [m["passed"] for m in failed["measurements"]] == [False, False, True]  # all three recorded
    assert failed["message"] == "value = 2, expected > 100; negated value = -2, expected > 0 (fake-a, seed 1)"
    assert claims["test_refuted[fake-a-seed0]"]["refuted_reason"] == "the value is only 1 or 2"
    assert claims["test_refuted_on_one_seed[fake-a-seed0]"]["refuted_reason"] is None
    nan = claims["test_nan[fake-a-seed0]"]
    assert nan["measurements"][0]["value"] == "nan" and nan["measurements"][0]["passed"] is None
    assert "not finite (fake-a, seed 0)" in nan["message"]
    assert claims["test_unavailable[fake-missing-seed0]"]["message"] == "fake-missing: weights are not on this machine"
    assert "boom in the claim" in claims["test_crashes[fake-b-seed0]"]["message"]
    assert claims["test_crashes[fake-b-seed0]"]["measurements"][0]["passed"] is True  # recorded before the crash
    assert "no measurement" in claims["test_measures_nothing[fake-b-seed0]"]["message"]
    untestable = claims["test_untestable_on_one_seed[fake-a-seed0]"]
    assert untestable["message"] == "inconclusive: value (precondition) = 1, required > 1.5 (fake-a, seed 0)"
    assert untestable["measurements"] == [{"name": "value (precondition)", "value": 1.0, "op": ">", "threshold": 1.5,
                                           "passed": False, "precondition": True, "count": False}]  # stopped there
    assert [m["precondition"] for m in claims["test_untestable_on_one_seed[fake-a-seed1]"]["measurements"]] == [True, False]

    run = record["run"]
    assert run["versions"]["torch"] == torch.__version__
    assert run["versions"]["transformer_lens"] == importlib.metadata.version("transformer-lens")
    assert run["exitstatus"] == 1 and run["interrupted"] is False and record["flipped"] == []
    # each fake-a target's claims ran forward passes over one input (from both workers' counts)
    per_model = run["passes"]["per_model"]
    assert sorted(per_model) == ["fake-a-seed0", "fake-a-seed1"] and all(c["needed"] == 1 < c["run"] for c in per_model.values())

    md = (pytester.path / "reports" / "claims.md").read_text().splitlines()
    assert ("| problem | claims | ✅ holds | ☑️ refuted (as expected) | ❌ fails | ⚠️ holds, marked refuted | 🟡 inconclusive | "
            "〰️ holds here (machine-dependent) | 〰️ fails here (machine-dependent) | 💥 error | ⏭️ skipped | … not run |") in md
    assert "| 1.9 | 3 | 1 | 3 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 |" in md
    assert "| 3.16 | 2 | 4 | 0 | 2 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |" in md
    assert "| 4.1 | 2 | 1 | 0 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 |" in md
    assert "| 5.1 | 7 | 3 | 0 | 0 | 0 | 0 | 0 | 0 | 3 | 1 | 0 |" in md
    assert "| fake-a | 0 | 🟡 inconclusive | requires value (precondition) = 1 (> 1.5 ✗) | " in "\n".join(md)
    assert "| fake-a | 1 | ❌ fails | value = 2 (> 100 ✗)<br>negated value = -2 (> 0 ✗)<br>value again = 2 (> 0 ✓) | " in "\n".join(md)
    assert "Refuted on record (fake-a seed 1): seed 1 has value 2" in md
    assert "![value plot (fake-b, seed 0)](plots/fake-b-seed0.txt)" in md


def test_xdist_run_then_an_interrupted_serial_run_compared_with_it(claims_dir, monkeypatch):
    result, first = run_claims(claims_dir, "reports", "-p", "xdist", "-n", "2", "--dist", "loadgroup")
    check_xdist_run(claims_dir, result, first)

    # again without xdist, with the plugin also named by the conftest (as the root conftest
    # does: registered once), one claim flipping and a Ctrl-C in a later claim
    claims_dir.makeconftest("pytest_plugins = ['harness.claims.plugin']\n" + CONFTEST)
    monkeypatch.setenv("MI_FAKE_FLIP", "1")
    monkeypatch.setenv("MI_FAKE_INTERRUPT", "1")
    result, second = run_claims(claims_dir, "reports")
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    assert second["run"]["interrupted"] is True and second["run"]["exitstatus"] == 2
    # everything that ran before the Ctrl-C is recorded, as in the xdist run
    before, after = by_test(first), by_test(second)
    assert after.keys() == before.keys() - {"test_zz_last[fake-b-seed0]"}
    changed = {"test_flips[fake-b-seed0]", "test_interrupts[fake-b-seed0]"}
    assert {n: comparable(c) for n, c in after.items() if n not in changed} == {
        n: comparable(c) for n, c in before.items() if n in after.keys() - changed}
    assert after["test_flips[fake-b-seed0]"]["verdict"] == "fails"
    assert after["test_interrupts[fake-b-seed0]"]["verdict"] == "not-run"  # did not finish
    assert {c["notes"]["worker"] for c in second["claims"] if "worker" in c["notes"]} == {"main"}
    assert second["flipped"] == [{"nodeid": "test_claims.py::test_flips[fake-b-seed0]", "before": "holds", "now": "fails"}]
    md = (claims_dir.path / "reports" / "claims.md").read_text()
    assert "**interrupted: partial report**" in md
    assert "| `test_claims.py::test_flips[fake-b-seed0]` | ✅ holds | ❌ fails |" in md


GROUPED_CLAIMS = '''
from harness import claim

SEEDS = range(6)


@claim("3.16", "first", models=["fake-a"], seeds=SEEDS)
def test_first(model, evidence):
    evidence.expect("value", model.weight.sum(), ">", 0)


@claim("3.16", "second", models=["fake-a"], seeds=SEEDS)
def test_second(model, evidence):
    evidence.expect("value", model.weight.sum(), ">", 0)


@claim("3.16", "third", models=["fake-a"], seeds=SEEDS)
def test_third(model, evidence):
    evidence.expect("value", model.weight.sum(), ">", 0)
'''


@pytest.mark.parametrize("workers", [2, 4])
def test_each_model_and_seed_is_loaded_by_one_worker_only(claims_dir, workers):
    """3 claims x 6 seeds: were the claims of a (model, seed) spread over workers, some seed
    would be loaded twice (by chance all 18 stay together with probability < 1e-3)."""
    claims_dir.makepyfile(test_grouping=GROUPED_CLAIMS)
    result, record = run_claims(claims_dir, "reports", "-p", "xdist", "-n", str(workers), "test_grouping.py")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    loads = (claims_dir.path / "loads.txt").read_text().splitlines()
    assert sorted(line.split(maxsplit=1)[1] for line in loads) == [f"fake-a {seed}" for seed in range(6)]
    assert len({line.split()[0] for line in loads}) == workers  # every worker had work
    assert len(record["claims"]) == 18


MACHINE_DEPENDENT_CLAIMS = '''
from harness import claim


@claim("3.16", "value above 1.5", models=["fake-a"], seeds=[0, 1, 2],
       machine_dependent={"fake-a-seed0": "1.0 here, 1.6 elsewhere", "fake-a-seed1": "2.0 here, 1.4 elsewhere"})
def test_machine_dependent(model, evidence):
    evidence.expect("value", model.weight.sum(), ">", 1.5)
'''


def test_a_machine_dependent_target_passes_the_run_with_either_verdict_and_the_report_says_which(claims_dir):
    claims_dir.makepyfile(test_machine=MACHINE_DEPENDENT_CLAIMS)
    result, record = run_claims(claims_dir, "reports", "test_machine.py")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    verdicts = {c["nodeid"].split("::")[1]: (c["verdict"], c["machine_dependent_reason"]) for c in record["claims"]}
    assert verdicts == {
        "test_machine_dependent[fake-a-seed0]": ("machine-dependent-fails", "1.0 here, 1.6 elsewhere"),
        "test_machine_dependent[fake-a-seed1]": ("machine-dependent-holds", "2.0 here, 1.4 elsewhere"),
        "test_machine_dependent[fake-a-seed2]": ("holds", None),
    }
    md = (claims_dir.path / "reports" / "claims.md").read_text()
    assert "Machine-dependent on record (fake-a seed 0): 1.0 here, 1.6 elsewhere" in md
    assert "| fake-a | 0 | 〰️ fails here (machine-dependent) |" in md


ENDING_CLAIMS = '''
import os
import signal

from harness import claim


@claim("3.16", "first", models=["fake-a"], seeds=[0])
def test_a_first(model, evidence):
    evidence.expect("value", model.weight.sum(), ">", 0)


@claim("3.16", "ends the run", models=["fake-a"], seeds=[0])
def test_b_ends_the_run(model, evidence):
    evidence.expect("value", model.weight.sum(), ">", 0)
    os.kill(int(os.environ["MI_FAKE_KILL_PID"]) if "MI_FAKE_KILL_PID" in os.environ else os.getpid(),
            getattr(signal, os.environ["MI_FAKE_SIGNAL"]))


@claim("3.16", "never runs", models=["fake-a"], seeds=[0])
def test_c_never_runs(model, evidence):
    evidence.expect("value", model.weight.sum(), ">", 0)
'''


@pytest.mark.parametrize("workers", [0, 2])
def test_sigterm_writes_the_partial_report_as_ctrl_c_does(claims_dir, monkeypatch, workers):
    claims_dir.makepyfile(test_ending=ENDING_CLAIMS)
    monkeypatch.setenv("MI_FAKE_SIGNAL", "SIGTERM")
    args = ["test_ending.py"]
    if workers:  # the signal goes to the controller, as from `timeout` or SLURM
        args += ["-p", "xdist", "-n", str(workers)]
        claims_dir.makeconftest(CONFTEST + "\nimport os\nos.environ.setdefault('MI_FAKE_KILL_PID', str(os.getpid()))\n")
    result, record = run_claims(claims_dir, "reports", *args)
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    assert record["run"]["interrupted"] is True
    verdicts = {c["nodeid"].split("::")[1]: c["verdict"] for c in record["claims"]}
    if workers:  # a result still on its way from a worker when the signal lands is lost
        assert set(verdicts.values()) <= {"holds", "not-run"} and "test_c_never_runs[fake-a-seed0]" not in verdicts  # may be {}
    else:
        assert verdicts == {"test_a_first[fake-a-seed0]": "holds", "test_b_ends_the_run[fake-a-seed0]": "not-run"}
    assert "**interrupted: partial report**" in (claims_dir.path / "reports" / "claims.md").read_text()


def test_a_killed_controller_leaves_the_finished_claims_in_the_log_and_recover_builds_the_report(claims_dir, monkeypatch):
    claims_dir.makepyfile(test_ending=ENDING_CLAIMS)
    monkeypatch.setenv("MI_FAKE_SIGNAL", "SIGKILL")
    result = claims_dir.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "--claims-report-dir", "reports", "test_ending.py")
    assert result.ret == -9 or result.ret == 137, result.stdout.str()
    reports = claims_dir.path / "reports"
    assert not (reports / "claims.json").exists()
    started, runs, run = read_log(reports / LOG_NAME)
    assert {r.nodeid.split("::")[1]: r.verdict for r in runs} == {"test_a_first[fake-a-seed0]": "holds", "test_b_ends_the_run[fake-a-seed0]": "not-run"}
    assert started <= time.time()
    assert {"versions", "git", "machine", "device"} <= run.keys() and "test_ending.py" in run["args"]
    # the report names where the claims ran (as the log says), not the machine that recovers it
    log = reports / LOG_NAME
    first, *rest = log.read_text().splitlines()
    header = json.loads(first)
    header["run"]["machine"] = "the GPU box"
    log.write_text("\n".join([json.dumps(header), *rest]) + "\n")
    done = subprocess.run([sys.executable, "-m", "harness.claims.report", "recover", str(reports)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    record = json.loads((reports / "claims.json").read_text())
    assert record["run"]["interrupted"] is True and len(record["claims"]) == 2
    assert record["run"]["machine"] == "the GPU box" and record["run"]["args"][-1] == f"(recovered from {LOG_NAME})"


def test_an_unwritable_report_dir_is_refused_before_any_claim_runs(claims_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = claims_dir.runpytest_subprocess("-p", "no:randomly", "--claims-report-dir", str(blocker / "reports"), "test_claims.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--claims-report-dir {blocker / 'reports'}: the report cannot be written there (Not a directory)" in result.stderr.str()
    assert not (claims_dir.path / "loads.txt").exists()  # no model was loaded


def test_exit_code_is_zero_when_claims_hold_or_are_refuted_as_expected_and_models_can_be_restricted(claims_dir):
    result, record = run_claims(
        claims_dir, "reports", "--claims-models", "fake-a", "test_claims.py::test_holds", "test_claims.py::test_refuted",
        "test_claims.py::test_refuted_on_one_seed", "test_claims.py::test_untestable_on_one_seed",
        "test_claims.py::test_untestable_and_marked_refuted",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()  # inconclusive fails no run
    result.assert_outcomes(passed=4, skipped=4, xfailed=3)
    verdicts = {name: c["verdict"] for name, c in by_test(record).items()}
    assert verdicts == {name: v for name, v in EXPECTED.items() if name.startswith(("test_holds[fake-a", "test_refuted", "test_untestable"))} | {
        "test_holds[fake-b-seed0]": "skipped", "test_holds[fake-b-seed1]": "skipped"}
    assert by_test(record)["test_holds[fake-b-seed0]"]["message"] == "--claims-models excludes fake-b"
    assert f"wrote {claims_dir.path / 'reports' / 'claims.md'}" in result.stdout.str()


def test_shards_deal_whole_targets_and_their_merged_report_equals_the_unsharded_one(claims_dir, monkeypatch):
    """Two shards as a job array through submitit's local executor (the SLURM recipe's code path)."""
    _, whole = run_claims(claims_dir, "whole")
    monkeypatch.setattr(sys, "argv", ["pytest"])  # submitit pickles the call, not our command line
    executor = submitit.LocalExecutor(claims_dir.path / "submitit")
    executor.update_parameters(timeout_min=5)
    args = ["-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark"]
    codes, written = run_sharded(executor, 2, args, claims_dir.path / "merged", cwd=claims_dir.path)
    assert codes == [pytest.ExitCode.TESTS_FAILED] * 2  # each shard has a failing claim
    shards = [by_test(json.loads((claims_dir.path / "merged" / f"shard-{i}" / "claims.json").read_text())) for i in (1, 2)]
    targets = [{name.split("[")[1] for name in shard} for shard in shards]
    assert targets[0] and targets[1] and not targets[0] & targets[1]  # every (model, seed) on one shard
    merged = json.loads(written[0].read_text())
    # equal but for where each shard wrote its plots
    same = lambda record: {n: {**comparable(c), "attachments": {k: Path(v).name for k, v in c["attachments"].items()}}
                           for n, c in by_test(record).items()}
    assert same(merged) == same(whole)
    assert [s["report"] for s in merged["run"]["shards"]] == [str(claims_dir.path / "merged" / f"shard-{i}" / "claims.json") for i in (1, 2)]
    with pytest.raises(ValueError, match="is in both"):
        merge([written[0], written[0]], claims_dir.path / "again")


def test_a_bad_shard_is_refused_at_startup(claims_dir):
    for bad in ("3/2", "one/2", "0/2"):
        result = claims_dir.runpytest_subprocess("--claims-shard", bad)
        assert result.ret == pytest.ExitCode.USAGE_ERROR and "--claims-shard" in result.stderr.str()
