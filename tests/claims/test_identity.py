"""harness.claims.identity: same weights under two names, and weights that changed since the
last run, are warnings in claims.json, claims.md and claims.html."""

from __future__ import annotations

import json
import time

from harness.claims.identity import identity_warnings, weights_of
from harness.claims.report import write_reports
from tests.claims.test_report import run


def loaded(model: str, weights: str, seed: int = 0, claim: str = "test_a"):
    return run(claim=claim, model=model, seed=seed, provenance={"weights": weights, "device": "cpu", "dtype": "float32"})


def test_two_names_with_one_hash_and_a_changed_hash_are_warnings():
    claims = [loaded("gpt2-small", "a" * 64).to_json(), loaded("my-gpt2", "a" * 64).to_json(),
              loaded("toy-attn-2l", "b" * 64).to_json(), loaded("toy-attn-2l", "c" * 64, seed=1).to_json(),
              run(model="missing", outcome="skipped").to_json()]
    assert weights_of(claims) == {"gpt2-small-seed0": "a" * 64, "my-gpt2-seed0": "a" * 64,
                                  "toy-attn-2l-seed0": "b" * 64, "toy-attn-2l-seed1": "c" * 64}
    history = [{"weights": {"toy-attn-2l-seed0": "d" * 64}}, {"weights": {"toy-attn-2l-seed1": "c" * 64}}]
    assert identity_warnings(claims, history) == [
        f"models gpt2-small, my-gpt2 have the same weights (sha256 {'a' * 12})",
        f"toy-attn-2l-seed0: weights changed since the last run that loaded it (sha256 {'d' * 12} -> {'b' * 12})",
    ]
    # seeds of one model differ, and an unchanged hash is no warning
    assert identity_warnings(claims[2:4], history[1:]) == []


def test_the_reports_carry_the_warnings_and_the_history_the_hashes(tmp_path):
    write_reports([loaded("toy-attn-2l", "b" * 64)], tmp_path, started=time.time(), exitstatus=0, args=[])
    paths = write_reports([loaded("toy-attn-2l", "e" * 64), loaded("other", "e" * 64, claim="test_b")], tmp_path,
                          started=time.time(), exitstatus=0, args=[])
    record = json.loads(paths[0].read_text())
    assert len(record["identity_warnings"]) == 2
    assert "toy-attn-2l-seed0: weights changed" in paths[1].read_text()
    assert "models other, toy-attn-2l have the same weights" in paths[2].read_text()
    newest = sorted((tmp_path / "history").glob("*.json"))[-1]
    assert json.loads(newest.read_text())["weights"] == {"toy-attn-2l-seed0": "e" * 64, "other-seed0": "e" * 64}
