"""harness.claims.evidence: recording measurements and the verdict they add up to."""

from __future__ import annotations

import json
import math
import operator
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from harness.claims.evidence import Evidence, ExpectationFailed, Inconclusive, MeasurementError, spread_of
from harness.interp.compare import OPS
from harness.interp.neurons import max_activating_contexts
from harness.plain import plain

PYTHON_OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne}


def make_evidence(model: str = "toy-attn-2l", seed: int = 1) -> Evidence:
    return Evidence(claim_id="claims/x.py::test_x[toy-attn-2l-seed1]", problem="3.16", model=model, seed=seed)


def test_ops_are_the_six_python_comparisons():
    assert OPS == PYTHON_OPERATORS


finite = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-5, 5)


@given(finite, st.sampled_from(sorted(OPS)), finite)
def test_expect_agrees_with_the_python_operator(value, op, threshold):
    ev = make_evidence()
    held = ev.expect("m", value, op, threshold)
    assert held == eval(f"value {op} threshold")  # the operator as written in the claim
    assert ev.measurements[0].passed is held
    if held:
        ev.raise_if_failed()
    else:
        with pytest.raises(ExpectationFailed):
            ev.raise_if_failed()


def test_failure_message_names_measurement_threshold_model_and_seed():
    ev = make_evidence()
    ev.expect("max layer-1 induction score", 0.41, ">", 0.7)
    with pytest.raises(ExpectationFailed) as err:
        ev.raise_if_failed()
    assert str(err.value) == "max layer-1 induction score = 0.41, expected > 0.7 (toy-attn-2l, seed 1)"


def test_every_expectation_is_recorded_and_every_failure_listed():
    ev = make_evidence(model="toy-attn-1l", seed=0)
    assert ev.expect("a", 1.0, ">", 2.0) is False
    assert ev.expect("b", 3.0, "<", 4.0) is True
    assert ev.expect("c", 5.0, "==", 6.0) is False
    assert [(m.name, m.passed) for m in ev.measurements] == [("a", False), ("b", True), ("c", False)]
    with pytest.raises(ExpectationFailed) as err:
        ev.raise_if_failed()
    assert str(err.value) == "a = 1, expected > 2; c = 5, expected == 6 (toy-attn-1l, seed 0)"


def test_a_failed_precondition_stops_the_claim_as_inconclusive():
    ev = make_evidence()
    ev.require("test accuracy at the end", 0.99, ">", 0.9)  # holds: recorded, the claim goes on
    with pytest.raises(Inconclusive) as err:
        ev.require("grokked", 0, "==", 1)
    assert str(err.value) == "inconclusive: grokked = 0, required == 1 (toy-attn-2l, seed 1)"
    assert isinstance(err.value, pytest.skip.Exception)  # neither a claim nor a refuted claim fails the run
    assert [(m.name, m.passed, m.precondition) for m in ev.measurements] == [
        ("test accuracy at the end", True, True), ("grokked", False, True)]


def test_a_non_finite_precondition_is_an_error_not_inconclusive():
    with pytest.raises(MeasurementError, match="not finite"):
        make_evidence().require("loss", math.nan, "<", 1.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, torch.tensor(float("nan")), np.float32("inf")])
def test_non_finite_value_is_an_error_never_a_pass(bad):
    ev = make_evidence()
    # "!=" would hold for NaN under Python's semantics: it must not
    assert ev.expect("ratio", bad, "!=", 0.0) is False
    ev.expect("other", 1.0, ">", 2.0)  # a plain failure does not hide the error
    assert ev.measurements[0].passed is None
    with pytest.raises(MeasurementError) as err:
        ev.raise_if_failed()
    assert not isinstance(err.value, AssertionError)  # an error verdict, not a failed expectation
    assert "ratio = " in str(err.value) and "not finite (toy-attn-2l, seed 1)" in str(err.value)


def test_non_finite_threshold_is_an_error():
    ev = make_evidence()
    ev.expect("m", 1.0, "<", math.nan)
    with pytest.raises(MeasurementError):
        ev.raise_if_failed()


def test_a_claim_that_measures_nothing_does_not_pass():
    with pytest.raises(MeasurementError, match=r"no measurement \(toy-attn-2l, seed 1\)"):
        make_evidence().raise_if_failed()


@pytest.mark.parametrize(
    "value",
    [0.5, 1, True, torch.tensor(0.5), torch.tensor([0.5]), torch.tensor([[0.5]], dtype=torch.float64),
     np.float32(0.5), np.float64(0.5), np.int64(3), np.array(0.5), np.array([0.5])],
    ids=repr,
)
def test_scalars_of_every_kind_are_recorded_as_python_floats(value):
    ev = make_evidence()
    ev.expect("m", value, ">=", torch.tensor(0.0))
    recorded = ev.measurements[0]
    assert type(recorded.value) is float and type(recorded.threshold) is float
    assert recorded.value == float(np.asarray(value.tolist() if hasattr(value, "tolist") else value).reshape(()))
    json.dumps(ev.to_json())


@pytest.mark.parametrize("value", [torch.tensor([0.1, 0.2]), torch.zeros(0), np.array([0.1, 0.2])], ids=repr)
def test_non_scalar_values_are_rejected(value):
    with pytest.raises(ValueError, match="scalar measurement"):
        make_evidence().expect("m", value, ">", 0.0)


def test_unknown_op_is_rejected_at_run_time_too():
    with pytest.raises(ValueError, match="unknown comparison '=>'"):
        make_evidence().expect("m", 1.0, "=>", 0.0)


def test_notes_and_attachments_become_plain_json():
    ev = make_evidence()
    ev.expect("m", 1.0, ">", 0.0)
    ev.note("heads", {(1, 2): torch.tensor([0.25, 0.5]), "n": np.int64(3), "where": Path("/tmp/x")})
    ev.attach("pattern", Path("/tmp/plot.png"))
    record = ev.to_json()
    assert json.loads(json.dumps(record)) == {
        "measurements": [{"name": "m", "value": 1.0, "op": ">", "threshold": 0.0, "passed": True, "precondition": False,
                          "count": False}],
        "notes": {"heads": {"(1, 2)": [0.25, 0.5], "n": 3, "where": "/tmp/x"}},
        "attachments": {"pattern": "/tmp/plot.png"},
        "neuron_pages": [],
    }
    assert plain(("a", 1.5, None)) == ["a", 1.5, None]


def test_a_neuron_page_holds_its_strongest_contexts_and_survives_json():
    acts = torch.zeros(2, 5, 3)
    acts[1, 3, 2], acts[0, 1, 2], acts[0, 4, 2] = 5.0, 2.0, 1.0  # neuron 2: strongest at row 1, position 3
    tokens = torch.arange(10).view(2, 5)
    values, contexts = max_activating_contexts(acts, tokens, k=3, width=3)
    ev = make_evidence()
    ev.show_neuron(4, 2, values[2], contexts[2], lambda t: f"<t{t}>")
    page = json.loads(json.dumps(ev.to_json()))["neuron_pages"][0]
    assert {k: page[k] for k in ("layer", "neuron", "max activation")} == {"layer": 4, "neuron": 2, "max activation": 5.0}
    assert [c["activation"] for c in page["contexts"]] == [5.0, 2.0, 1.0]
    assert page["contexts"][0]["tokens"] == ["<t6>", "<t7>", "<t8>"]  # the activating token (acts' max) last
    assert page["contexts"][1]["tokens"] == ["<t0>", "<t1>"]  # nothing before the row's start
    assert page["top-token share"] == pytest.approx(1 / 3, abs=1e-4)


def test_matches_snapshot_records_an_expectation_and_the_detail():
    ev = make_evidence()
    assert ev.matches_snapshot("heads", [[1, 2]], [[1, 2]]) is True
    assert ev.matches_snapshot("scores", {"a": 0.5}, {"a": 0.6}) is False
    assert [(m.name, m.passed) for m in ev.measurements] == [("heads matches snapshot", True), ("scores matches snapshot", False)]
    assert ev.notes == {"heads": [[1, 2]], "scores": {"a": 0.6}}
    with pytest.raises(ExpectationFailed, match="scores matches snapshot = 0, expected == 1"):
        ev.raise_if_failed()


def test_per_example_values_behind_a_mean_are_recorded_as_quantiles():
    ev = Evidence(claim_id="c", problem="2.2", model="m", seed=0)
    values = torch.arange(11.0) - 5  # a mean of 0 hiding -5 ... 5
    assert ev.expect("mean diff", values.mean(), ">=", 0.0, per_example=values)
    spread = ev.to_json()["measurements"][0]["spread"]
    assert spread == {"min": -5.0, "q10": -4.0, "q25": -2.5, "median": 0.0, "q75": 2.5, "q90": 4.0, "max": 5.0, "n": 11, "finite": 11}
    ev.expect("plain", 1.0, ">", 0.0)
    assert "spread" not in ev.to_json()["measurements"][1]  # only where recorded
    assert spread_of([1.0, float("nan"), 3.0]) == {"min": 1.0, "q10": 1.2, "q25": 1.5, "median": 2.0, "q75": 2.5, "q90": 2.8,
                                                        "max": 3.0, "n": 3, "finite": 2}
    with pytest.raises(ValueError, match="no finite value"):
        spread_of([float("nan")])
