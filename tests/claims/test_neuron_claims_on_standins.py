"""Every section-1 claim (``claims/neurons``) on the family trained here runs on the family's CPU
stand-ins (``tests.claims.lm_standins``) to a verdict with its measurements recorded, and raises no
error. The verdicts mean nothing. Prompt draw 0, on the members that cover every claim."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

from catalog.lm import FAMILY
from harness.claims.claim import claim_spec

ROOT = Path(__file__).resolve().parents[2]
VERDICTS = {"holds", "fails", "inconclusive"}
# every family claim names one of these (their baselines, lm-attn-1l and lm-gelu-1l, load as well)
MODELS = ["lm-attn-3l", "lm-attn-4l", "lm-gelu-1l", "lm-solu-1l", "lm-solu-2l"]


def family_claims() -> set[tuple[str, str]]:
    """(file, claim) of every claim under ``claims/neurons`` that names a family member."""
    found = set()
    for path in sorted((ROOT / "claims/neurons").glob("test_*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found |= {(str(path.relative_to(ROOT)), name) for name, fn in inspect.getmembers(module, inspect.isfunction)
                  if (spec := claim_spec(fn)) and set(spec.model_names()) & set(FAMILY)}
    return found


def test_every_family_claim_runs_on_the_standins(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "claims/neurons", "-p", "tests.claims.lm_standins", "-p", "no:randomly",
         "-n", "0", "-q", "-m", "lm", "-k", "prompts0", "--claims-models", ",".join(MODELS),
         "--claims-report-dir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    records = json.loads((tmp_path / "claims.json").read_text())["claims"]
    ran = [r for r in records if r["verdict"] != "skipped"]
    assert {(r["file"], r["claim"]) for r in ran} == family_claims()
    broken = [f"{r['nodeid']}: {r['verdict']} {r['message'][:300]}" for r in ran
              if r["verdict"] not in VERDICTS or not r["measurements"]]
    assert not broken, "\n".join(broken)
