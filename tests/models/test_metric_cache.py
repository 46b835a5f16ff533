import functools

import pytest
import torch

from harness.models.metric_cache import DIRNAME, over_checkpoints, source_digest


def checkpoints_of(*scales: float) -> dict[int, torch.nn.Linear]:
    """{step: a 2 -> 1 linear layer with every weight ``scale``}."""
    out = {}
    for step, scale in enumerate(scales):
        layer = torch.nn.Linear(2, 1)
        torch.nn.init.constant_(layer.weight, scale), torch.nn.init.constant_(layer.bias, 0.0)
        out[100 * step] = layer
    return out


class Counted:
    """A measure that counts its evaluations: the layer's output on ``x``."""

    def __init__(self, x: torch.Tensor):
        self.x, self.calls = x, 0

    def __call__(self, model) -> torch.Tensor:
        self.calls += 1
        with torch.no_grad():
            return model(self.x)


def test_each_checkpoint_is_measured_once_and_read_back(tmp_path):
    x = torch.ones(3, 2)
    measure = Counted(x)
    first = over_checkpoints(checkpoints_of(1.0, 2.0), "output", measure, x, root=tmp_path)
    again = over_checkpoints(checkpoints_of(1.0, 2.0), "output", measure, x, root=tmp_path)
    assert measure.calls == 2
    assert [v.tolist() for v in again] == [v.tolist() for v in first] == [[[2.0]] * 3, [[4.0]] * 3]
    # a new checkpoint is measured, the known one read
    over_checkpoints(checkpoints_of(1.0, 3.0), "output", measure, x, root=tmp_path)
    assert measure.calls == 3


def test_other_inputs_or_names_are_measured_anew(tmp_path):
    cps = checkpoints_of(1.0)
    measure = Counted(torch.ones(1, 2))
    over_checkpoints(cps, "output", measure, torch.ones(1, 2), root=tmp_path)
    over_checkpoints(cps, "output", measure, torch.zeros(1, 2), root=tmp_path)
    over_checkpoints(cps, "another metric", measure, torch.ones(1, 2), root=tmp_path)
    assert measure.calls == 3


def test_a_corrupt_entry_is_measured_again(tmp_path):
    cps, measure = checkpoints_of(1.0), Counted(torch.ones(1, 2))
    over_checkpoints(cps, "output", measure, root=tmp_path)
    for path in (tmp_path / DIRNAME).glob("*.pt"):
        path.write_bytes(b"not a torch file")
    assert over_checkpoints(cps, "output", measure, root=tmp_path)[0].item() == 2.0
    assert measure.calls == 2


def test_a_change_to_the_measuring_file_changes_the_key(tmp_path):
    source = tmp_path / "measure.py"
    source.write_text("A = 1\n")
    before = source_digest(source)
    source.write_text("A = 2\n")
    source_digest.cache_clear()
    assert source_digest(source) != before


def test_two_architectures_with_the_same_weights_do_not_share_entries(tmp_path):
    relu, gelu = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GELU())
    gelu.load_state_dict(relu.state_dict())
    x = -torch.ones(1, 2)
    values = [over_checkpoints({0: m}, "output", Counted(x), x, root=tmp_path)[0] for m in (relu, gelu)]
    assert not torch.equal(values[0], values[1])


def test_a_partial_is_refused(tmp_path):
    with pytest.raises(TypeError, match="partial"):
        over_checkpoints(checkpoints_of(1.0), "output", functools.partial(lambda m, x: m(x), x=torch.ones(1, 2)), root=tmp_path)
