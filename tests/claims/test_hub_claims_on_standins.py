"""Every claim written for hub models (``claims/ioi``, the text-induction claims) run here on
same-architecture stand-ins (``harness.models.standins``: random weights in the hub model's
architecture, a tokenizer trained here), loaded by the hub models' own code from
``$MI_CLAIMS_HF_LOCAL_DIR``. The verdicts mean nothing; the tests assert that each claim reaches
a verdict (holds, fails or inconclusive) with its measurements recorded, and raises no error.
The runs write their report to a temporary directory, never to ``reports/``."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from catalog.pretrained import HUB_MODELS
from catalog.prompts.ioi import NAMES, OBJECTS, PLACES, TEMPLATES, ioi_prompts
from harness.claims.claim import claim_spec
from harness.interp.heads import attention_patterns
from harness.models import memory_cache
from harness.models.pretrained.hub import LOCAL_DIR_ENV, load_hub_model
from harness.models.standins import STANDINS, standin_root

ROOT = Path(__file__).resolve().parents[2]
CLAIM_FILES = ["claims/ioi", "claims/induction/test_smollm2_induction.py"]
VERDICTS = {"holds", "fails", "inconclusive"}


@pytest.fixture(scope="module")
def standins() -> Path:
    """The stand-ins' directory (in the model cache), tokenizer trained on the IOI templates and words."""
    return standin_root([*TEMPLATES, " ".join(NAMES + PLACES + OBJECTS)], memory_cache.cache_root())


def run_claims_on(standins: Path, models: list[str], report_dir: Path, *select: str,
                  files: list[str] = CLAIM_FILES) -> list[dict]:
    """The claims of ``files`` on ``models`` (stand-ins), few IOI prompts, ``select``: more
    pytest options; their claims.json records."""
    env = {**os.environ, LOCAL_DIR_ENV: str(standins), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *files, "-p", "tests.claims.few_ioi_prompts", "-p", "no:randomly",
         "-n", "0", "-q", "--claims-models", ",".join(models), "--claims-report-dir", str(report_dir), *select],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((report_dir / "claims.json").read_text())["claims"]


def hub_claims() -> set[tuple[str, str]]:
    """(file, claim) of every claim in ``CLAIM_FILES`` that runs on a hub model."""
    found = set()
    for path in sorted(p for f in CLAIM_FILES for p in ([ROOT / f] if f.endswith(".py") else (ROOT / f).glob("test_*.py"))):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found |= {(str(path.relative_to(ROOT)), name) for name, fn in inspect.getmembers(module, inspect.isfunction)
                  if (spec := claim_spec(fn)) and set(spec.model_names()) & set(HUB_MODELS)}
    return found


def assert_every_hub_claim_ran(records: list[dict], models: list[str]) -> None:
    ran = [r for r in records if r["model"] in models and r["verdict"] != "skipped"]
    assert {(r["file"], r["claim"]) for r in ran} == hub_claims()
    broken = [f"{r['nodeid']}: {r['verdict']} {r['message'][:300]}" for r in ran
              if r["verdict"] not in VERDICTS or not r["measurements"]]
    assert not broken, "\n".join(broken)


def test_every_hub_claim_runs_on_a_standin(standins, tmp_path):
    """The paper-head claims on the GPT-2 small stand-in (12 x 12 heads: their indices exist),
    the group claims on the 2-layer attention-only one (16 heads: path patching all of
    GPT-2's 144 is minutes here); the slow test below runs everything on every stand-in."""
    models = ["gpt2-small", "attn-only-2l"]
    records = run_claims_on(standins, models, tmp_path, "-k", "attn-only-2l or test_gpt2_")
    assert_every_hub_claim_ran(records, models)


@pytest.mark.slow
def test_every_hub_claim_runs_on_every_standin_architecture(standins, tmp_path):
    models = list(STANDINS)
    assert_every_hub_claim_ran(run_claims_on(standins, models, tmp_path), models)


@pytest.mark.parametrize("name", list(STANDINS))
def test_standin_boots_as_its_hub_model_with_the_prompts_tokens(standins, monkeypatch, name):
    """Each stand-in loads through the hub model's own code, keeps the real layer and head
    counts the claims index, tokenizes the IOI prompts and gives every head's pattern."""
    monkeypatch.setenv(LOCAL_DIR_ENV, str(standins))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    bridge = load_hub_model(name, HUB_MODELS[name])
    layers_heads = {"gpt2-small": (12, 12), "stanford-gpt2-small-a": (12, 12), "pythia-70m": (6, 8)}
    assert (bridge.cfg.n_layers, bridge.cfg.n_heads) == layers_heads.get(name, (2, 8))
    prompts = ioi_prompts(bridge.tokenizer, 4, 0)
    with torch.no_grad():
        patterns = attention_patterns(bridge, prompts.tokens)
    assert patterns.shape[:3] == (bridge.cfg.n_layers, 4, bridge.cfg.n_heads)
    assert torch.isfinite(patterns).all()
    if (standins / name / "model.safetensors").is_file():  # an HF stand-in: the bridge computes what transformers does
        from transformers import AutoModelForCausalLM

        hf = AutoModelForCausalLM.from_pretrained(standins / name, dtype=torch.float32).eval()
        with torch.no_grad():
            torch.testing.assert_close(bridge(prompts.tokens), hf(prompts.tokens).logits, atol=1e-4, rtol=1e-4)
