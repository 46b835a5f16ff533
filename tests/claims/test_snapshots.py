"""harness.claims.snapshots: readable rounded JSON, matched within the tolerance that training on
another machine allows."""

import json

import torch

from harness.claims.snapshots import TOLERANCE, RoundedJSONSnapshot, close
from harness.plain import plain


def test_plain_rounds_to_json_values():
    assert plain({"scores": torch.tensor([0.123456, -0.0001]), 3: (1, "L1H2")}, 2) == {"scores": [0.12, 0.0], "3": [1, "L1H2"]}


def test_numbers_match_within_the_tolerance_and_everything_else_exactly():
    snapshot = {"heads": ["L1H0", 0.81], "frequencies": [9, 14]}
    assert close(snapshot, {"heads": ["L1H0", 0.81 + TOLERANCE * 0.9], "frequencies": [9, 14]})
    assert not close(snapshot, {"heads": ["L1H0", 0.81 + TOLERANCE * 1.1], "frequencies": [9, 14]})
    assert not close(snapshot, {"heads": ["L1H1", 0.81], "frequencies": [9, 14]})
    assert not close(snapshot, {"heads": ["L1H0", 0.81], "frequencies": [9, 15]})  # integers: exact
    assert not close(snapshot, {"heads": ["L1H0", 0.81], "frequencies": [9, 14, 18]})
    assert not close(snapshot, {"heads": ["L1H0", 0.81]})
    assert not close([0.5], ["0.5"]) and not close([True], [1.0]) and close([1], [1.0])


def test_the_extension_compares_serialized_snapshots_with_close():
    extension = RoundedJSONSnapshot()
    stored = extension.serialize({"score": 0.80})
    assert extension.matches(serialized_data=extension.serialize({"score": 0.83}), snapshot_data=stored)
    assert not extension.matches(serialized_data=extension.serialize({"score": 0.90}), snapshot_data=stored)
    assert not extension.matches(serialized_data=extension.serialize({"score": 0.80}), snapshot_data=None)
    assert json.loads(stored) == {"score": 0.8}
