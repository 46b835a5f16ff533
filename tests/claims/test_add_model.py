"""``--claims-add-model`` end to end: a model trained here and saved as an HF directory
(``path:``) and the same directory through a function (``py:``) run the IOI and induction
packs as two more model columns; a GGUF file (``gguf:``) is converted and runs; a bad SPEC
stops the run at startup; pyproject.toml's ``[tool.mi-claims] add-models`` is read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import torch

from catalog.prompts.ioi import NAMES, OBJECTS, PLACES, TEMPLATES, ioi_prompts
from harness.claims.collector import added_model_specs
from harness.models.pretrained.smollm2_wheel import smollm2_gguf_path
from harness.models.standins import gpt2_model, train_word_tokenizer

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ["claims/ioi/test_ioi_found_circuit.py", "claims/induction/test_smollm2_induction.py"]
SELECT = "test_model_prefers_the_indirect_object or test_smollm2_has_induction_heads"

PY_MODULE = '''
from pathlib import Path

from harness.models.pretrained.hf_local import boot_hf_local


def my_bridge():
    return boot_hf_local("my-lm", Path({directory!r}), "cpu")
'''


def train_and_save(directory: Path, steps: int = 30) -> Path:
    """A 2-layer GPT-2 (d_model 32) trained here for ``steps`` Adam steps on IOI prompts, saved
    with its tokenizer as an HF directory."""
    torch.manual_seed(0)
    tokenizer = train_word_tokenizer([*TEMPLATES, " ".join(NAMES + PLACES + OBJECTS)])
    model = gpt2_model(len(tokenizer), n_layers=2, n_heads=8)
    tokens = ioi_prompts(tokenizer, 64, seed=1).tokens
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        optimiser.zero_grad()
        model(tokens, labels=tokens).loss.backward()
        optimiser.step()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def pytest_run(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(cwd), os.environ.get("PYTHONPATH", "")]), **env}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-n", "0", "-q", *args],
                          cwd=ROOT, env=environ, capture_output=True, text=True, timeout=900)


def test_a_model_trained_here_runs_the_ioi_and_induction_packs_as_extra_columns(tmp_path):
    directory = train_and_save(tmp_path / "my-ioi-lm")
    (tmp_path / "my_models.py").write_text(PY_MODULE.format(directory=str(directory)))
    done = pytest_run(*CLAIMS, "-k", SELECT, "--claims-add-model", f"path:{directory}",
                      "--claims-add-model", "py:my_models:my_bridge", "--claims-models", "my-ioi-lm,my_bridge",
                      "--claims-report-dir", str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    record = json.loads((tmp_path / "report" / "claims.json").read_text())
    ran = {(c["model"], c["claim"]): c for c in record["claims"] if c["verdict"] != "skipped"}
    assert set(ran) == {(m, c) for m in ("my-ioi-lm", "my_bridge") for c in SELECT.split(" or ")}
    for claim in ran.values():
        assert claim["verdict"] in {"holds", "fails", "inconclusive"} and claim["measurements"], claim
    assert ran["my-ioi-lm", "test_model_prefers_the_indirect_object"]["provenance"]["source"] == "path"
    assert ran["my_bridge", "test_model_prefers_the_indirect_object"]["provenance"]["source"] == "py"
    # the same weights under two names
    assert len({c["provenance"]["weights"] for c in ran.values()}) == 1
    assert "| my-ioi-lm | 0 |" in (tmp_path / "report" / "claims.md").read_text()


def test_a_bad_spec_stops_the_run_at_startup(tmp_path):
    done = pytest_run(CLAIMS[1], "--collect-only", "--claims-add-model", f"path:{tmp_path / 'absent'}")
    assert done.returncode == 4
    assert f"--claims-add-model path:{tmp_path / 'absent'}: {tmp_path / 'absent'} is not a directory" in done.stderr


def test_pyproject_add_models_come_before_the_command_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.mi-claims]\nadd-models = ["hf:EleutherAI/pythia-160m"]\n')
    config = SimpleNamespace(rootpath=tmp_path, getoption=lambda name: ["path:/x"])
    assert added_model_specs(config) == ["hf:EleutherAI/pythia-160m", "path:/x"]


def test_a_gguf_file_is_converted_once_and_runs_as_a_column(tmp_path):
    """The SmolLM2 wheel's own Q4_1 file as ``gguf:``: dequantised into an empty cache, then the
    induction claim runs on it; its values are SmolLM2's (the detector's top head scores 0.84)."""
    done = pytest_run(CLAIMS[1], "-k", "test_smollm2_has_induction_heads", "--claims-add-model", f"gguf:{smollm2_gguf_path()}",
                      "--claims-models", "smollm2-135m-instruct.q4_1", "--claims-cache-dir", str(tmp_path / "cache"),
                      "--claims-report-dir", str(tmp_path / "report"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [ran] = [c for c in json.loads((tmp_path / "report" / "claims.json").read_text())["claims"] if c["verdict"] != "skipped"]
    assert (ran["verdict"], ran["provenance"]["source"]) == ("holds", "gguf")
    assert abs(ran["measurements"][0]["value"] - 0.837) < 0.01
