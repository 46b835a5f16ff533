"""harness.claims.compare and ``python -m harness.claims.report compare``: a planted flip and a
moved measurement between two runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from harness.claims.compare import moved
from harness.claims.report import write_reports
from tests.claims.synthetic import synthetic_runs
from tests.claims.test_history import flipped_runs


def test_moved_is_relative_and_treats_non_finite_values():
    assert not moved(1.0, 1.04, 0.05) and moved(1.0, 1.06, 0.05) and moved(0.0, 1e-9, 0.05)
    assert moved(1.0, "nan", 0.05) and not moved("nan", "nan", 0.05) and not moved("inf", "inf", 0.05)


def test_compare_prints_the_planted_flip_and_the_moved_value(tmp_path):
    a = write_reports(synthetic_runs(tmp_path / "a"), tmp_path / "a", started=time.time(), exitstatus=0, args=[])[0]
    b = write_reports(flipped_runs(tmp_path / "b")[:-1], tmp_path / "b", started=time.time(), exitstatus=0, args=[])[0]
    done = subprocess.run([sys.executable, "-m", "harness.claims.report", "compare", str(a), str(b), "--rtol", "0.1"],
                          capture_output=True, text=True, cwd=Path(__file__).parents[2], check=True)
    lines = done.stdout.splitlines()
    flip = "claims/induction/test_x.py::test_everywhere[toy-attn-1l-seed0]"
    assert lines[2:4] == ["1 claims changed verdict", f"  {flip}: holds -> fails"]
    assert lines[4:6] == ["1 measurements moved by more than 0.1 (relative)", f"  {flip}: score 0.5 -> 0.3 (threshold > 0.4)"]
    assert lines[6:] == ["1 claims only in A", "  claims/induction/test_x.py::test_tracr[toy-attn-1l-seed0]"]
