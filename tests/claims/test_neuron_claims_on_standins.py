"""Every claim in ``claims/neurons`` (section 1, and the section-4 superposition claims there) on
the family trained here runs on the family's CPU stand-ins (``tests.claims.lm_standins``) to a
verdict with its measurements recorded, and raises no error. The verdicts mean nothing. Prompt draw 0."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.lm import FAMILY
from harness.claims.claim import claim_spec

ROOT = Path(__file__).resolve().parents[2]
VERDICTS = {"holds", "fails", "inconclusive"}
SLOW_CLAIMS = ("test_three_layer_model_composes_into_layer_2 or test_four_layer_model_composes_into_layer_3 "
               "or test_important_heads_beyond_induction or test_solu_neurons_form_as_a_phase_transition "
               # 40 cross-validated probe fits each (superposition, 4.29 / 4.30): ~25-65 s here under load
               "or test_one_layer_polysemantic_neuron_disambiguated or test_two_layer_polysemantic_neuron_disambiguated "
               # the 100 x d_model stand-in (3200 neurons) trains for ~16 s cold here
               "or test_wide_mlp_has_more_monosemantic_neurons")


def family_claims() -> set[tuple[str, str]]:
    """(file, claim) of every claim under ``claims/neurons`` that names a family member."""
    found = set()
    for path in sorted((ROOT / "claims/neurons").glob("test_*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found |= {(str(path.relative_to(ROOT)), name) for name, fn in inspect.getmembers(module, inspect.isfunction)
                  if (spec := claim_spec(fn)) and set(spec.model_names()) & set(FAMILY)}
    return found


def run_on_standins(models: list[str], select: str, report_dir: Path) -> list[dict]:
    """The claims of ``claims/neurons`` selected by ``-k select`` on the stand-ins of ``models``,
    prompt draw 0; the records that did not skip, each checked to reach a verdict with measurements."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "claims/neurons", "-p", "tests.claims.lm_standins", "-p", "no:randomly",
         "-n", "0", "-q", "-m", "lm", "-k", f"prompts0 and ({select})", "--claims-models", ",".join(models),
         "--claims-report-dir", str(report_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    ran = [r for r in json.loads((report_dir / "claims.json").read_text())["claims"] if r["verdict"] != "skipped"]
    broken = [f"{r['nodeid']}: {r['verdict']} {r['message'][:300]}" for r in ran
              if r["verdict"] not in VERDICTS or not r["measurements"]]
    assert not broken, "\n".join(broken)
    return ran


def test_neuron_and_comparison_claims_run_on_the_standins(tmp_path):
    """Every family claim but the composition, head-ablation, neuron-formation,
    polysemantic-neuron and wide-MLP ones (slow: tens of seconds of bridge forwards, Gaussian
    baselines, checkpoints, probe fits and a wide stand-in here), on the fewest stand-ins that run
    each of them once (the baselines lm-attn-1l, lm-attn-2l and lm-gelu-1l load as well)."""
    ran = run_on_standins(["lm-attn-1l", "lm-attn-2l", "lm-attn-3l", "lm-solu-1l", "lm-solu-2l", "lm-relu-1l"],
                          f"not ({SLOW_CLAIMS})",
                          tmp_path)
    assert {(r["file"], r["claim"]) for r in ran} == {c for c in family_claims() if c[1] not in SLOW_CLAIMS.split(" or ")}


@pytest.mark.slow
def test_every_family_claim_runs_on_the_standins(tmp_path):
    ran = run_on_standins(list(FAMILY), "prompts0", tmp_path)
    assert {(r["file"], r["claim"]) for r in ran} == family_claims()
