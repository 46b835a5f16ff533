"""A synthetic claims run for the report tests: 3 models x 3 seeds, every verdict kind, a NaN,
claims missing some models, a claim that did not run (an interrupted run), per-example spreads,
a plot attachment, a neuron page and a ``ground truth`` note."""

from __future__ import annotations

import math
import time
from pathlib import Path

from harness.claims.report import ClaimRun, write_reports
from tests.claims.test_report import run

MODELS = ("toy-attn-1l", "toy-attn-2l", "toy-attn-3l")
PNG = bytes.fromhex(  # a 1x1 red PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)
NEURON_PAGE = {"layer": 1, "neuron": 7, "max activation": 2.0, "top-token share": 0.5, "contexts": [
    {"tokens": ["x", " =", " 4", "2"], "activation": 2.0}, {"tokens": ["<b>", "\n", "7"], "activation": 0.5}]}


def measured(value: float, op: str = ">", threshold: float = 0.4, name: str = "score", spread: bool = False) -> dict:
    m = {"name": name, "value": value, "op": op, "threshold": threshold,
         "passed": (value > threshold if op == ">" else value < threshold) if math.isfinite(value) else None, "precondition": False}
    if spread:
        m["spread"] = {"min": value - 0.3, "q10": value - 0.2, "q25": value - 0.1, "median": value, "q75": value + 0.1,
                       "q90": value + 0.2, "max": value + 0.3, "n": 50}
    return m


def synthetic_runs(report_dir: Path) -> list[ClaimRun]:
    plot = report_dir / "plots" / "attn.png"
    plot.parent.mkdir(parents=True, exist_ok=True)
    plot.write_bytes(PNG)
    runs = []
    # holds everywhere, 3 models x 3 seeds, with spreads and a figure
    for model in MODELS:
        for seed in range(3):
            runs.append(run("test_everywhere", model=model, seed=seed, docstring="Threshold 0.4: Olsson et al. 2022, ARENA's detector.",
                            measurements=[measured(0.5 + 0.1 * seed + 0.05 * MODELS.index(model), spread=True)],
                            attachments={"attention": str(plot)} if seed == 0 else {},
                            provenance={"weights": f"{MODELS.index(model)}{seed}" * 32, "device": "cpu", "dtype": "float32"}))
    # splits by seed on one model; a skipped model
    for seed, value in enumerate((0.6, 0.3, 0.7)):
        runs.append(run("test_by_seed", model="toy-attn-2l", seed=seed, problem="1.9", outcome="holds" if value > 0.4 else "fails",
                        measurements=[measured(value)], neuron_pages=[NEURON_PAGE] if seed == 0 else []))
        runs.append(run("test_by_seed", model="toy-attn-3l", seed=seed, problem="1.9", outcome="skipped", message="no weights"))
    # splits by model: refuted as expected on one, holds on another (marked refuted), a NaN error
    runs += [
        run("test_by_model", model="toy-attn-1l", problem="2.11", expected="refuted", outcome="fails", measurements=[measured(0.1)]),
        run("test_by_model", model="toy-attn-2l", problem="2.11", expected="refuted", outcome="holds", measurements=[measured(0.9)]),
        run("test_nan", model="toy-attn-1l", problem="2.11", outcome="error", measurements=[measured(math.nan)], message="score = nan: not finite"),
        run("test_inconclusive", problem="3.1", outcome="inconclusive",
            measurements=[{**measured(0.2, name="accuracy", threshold=0.9), "precondition": True}]),
        run("test_machine", problem="3.2", expected="machine-dependent", outcome="holds", machine_dependent_reason="0.52 on AVX2",
            measurements=[measured(0.45)]),
        run("test_machine", problem="3.2", seed=1, expected="machine-dependent", outcome="fails", machine_dependent_reason="0.38 on AVX2",
            measurements=[measured(0.38)]),
        run("test_interrupted", problem="3.3", outcome=None),
        run("test_tracr", model="toy-attn-1l", problem="3.4", measurements=[measured(0.95, name="mean AUROC", threshold=0.8)],
            notes={"ground truth": [{"program": "reverse", "method": "attribution patching", "precision": 0.9, "recall": 0.8, "auroc": 0.95},
                                    # nothing on one side of the ranking: AUROC undefined (NaN, text in claims.json)
                                    {"program": "reverse", "method": "ablation", "precision": 1.0, "recall": 0.7, "auroc": math.nan}]}),
    ]
    return runs


def write_synthetic_report(report_dir: Path) -> list[Path]:
    """The synthetic run's reports in ``report_dir`` (an interrupted run: one claim did not run)."""
    return write_reports(synthetic_runs(report_dir), report_dir, started=time.time() - 12.0, exitstatus=2, args=["claims", "-n", "2"])
