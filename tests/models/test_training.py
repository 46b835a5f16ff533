"""The training loop and toy transformer training: deterministic per seed, progress, checkpoints,
learning-rate schedules, cache round trip."""

import dataclasses

import pytest
import torch

from catalog.datasets import INDUCTION_SEQ_LEN, random_block_repeat
from catalog.induction import attn_only_induction
from catalog.modular import modular_mlp
from harness.models.mlp import neuron_slices
from harness.models.toy_transformer import head_slices
from harness.models.trained import join_checkpoints, split_checkpoints
from harness.models import training
from harness.models.training import TrainConfig, init_native_model, train_toy_transformer

ARCH = attn_only_induction(2).arch
TINY = TrainConfig(steps=6, batch_size=4, lr=1e-3, warmup_steps=2, checkpoint_every=3, log_every=2)


def test_same_seed_same_weights_and_other_seed_differs():
    first = train_toy_transformer(ARCH, "induction", TINY, seed=0)
    again = train_toy_transformer(ARCH, "induction", TINY, seed=0)
    other = train_toy_transformer(ARCH, "induction", TINY, seed=1)
    assert all(torch.equal(first.state_dict[k], again.state_dict[k]) for k in first.state_dict)
    assert first.losses == again.losses
    assert not torch.equal(first.state_dict["tok_embed.weight"], other.state_dict["tok_embed.weight"])


def test_progress_lines_and_checkpoints():
    lines: list[str] = []
    result = train_toy_transformer(ARCH, "induction", TINY, seed=0, progress=lines.append)
    assert [step for step, _ in result.losses] == [2, 4, 6]
    assert len(lines) == 3 and "step 6/6" in lines[-1]
    assert sorted(result.checkpoints) == [3, 6]


def test_checkpoints_round_trip_through_one_tensor_dict():
    final = {"w": torch.ones(2)}
    checkpoints = {20: {"w": torch.zeros(2)}, 10: {"w": torch.full((2,), 5.0)}}
    got_final, got_checkpoints = split_checkpoints(join_checkpoints(final, checkpoints))
    assert torch.equal(got_final["w"], final["w"])
    assert list(got_checkpoints) == [10, 20]
    assert torch.equal(got_checkpoints[10]["w"], checkpoints[10]["w"])


def test_spec_trains_once_into_the_cache_and_loads_a_bridge(tmp_path):
    spec = dataclasses.replace(attn_only_induction(1), train=TINY)
    bridge = spec.load(0, tmp_path)
    assert len(list(tmp_path.iterdir())) == 2  # the entry and its lock file
    tokens = random_block_repeat(torch.Generator().manual_seed(0), 2, INDUCTION_SEQ_LEN, ARCH["d_vocab"])
    with torch.inference_mode():
        assert bridge(tokens).shape == (2, INDUCTION_SEQ_LEN, ARCH["d_vocab"])
    assert sorted(spec.checkpoints(0, tmp_path)) == [3, 6]


def test_lr_schedule_warms_up_then_follows_its_shape():
    warm = TrainConfig(steps=10, warmup_steps=4)
    assert [warm.lr_factor(step) for step in (0, 3, 9)] == [0.25, 1.0, 1.0]
    linear = TrainConfig(steps=10, warmup_steps=0, lr_schedule="linear")
    assert [linear.lr_factor(step) for step in (0, 5)] == [1.0, 0.5]
    cosine = TrainConfig(steps=10, warmup_steps=0, lr_schedule="cosine")
    assert cosine.lr_factor(0) == 1.0 and abs(cosine.lr_factor(5) - 0.5) < 1e-12


def test_unknown_lr_schedule_is_refused():
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(lr_schedule="step")


def test_cache_key_is_what_determines_the_weights_not_the_name():
    spec = attn_only_induction(1)
    payload = spec.payload(3)
    assert {"kind", "arch", "task", "train", "seed", "code_version"} == payload.keys()
    assert payload["kind"] == "toy-transformer" and payload["seed"] == 3
    renamed = dataclasses.replace(spec, name="another-name", description="another description")
    assert renamed.payload(3) == payload
    assert dataclasses.replace(spec, train=TINY).payload(3) != payload


def test_log_checkpoints_are_dense_early_and_stay_out_of_the_key_when_unused():
    config = TrainConfig(steps=3000, checkpoint_every=1000, log_checkpoints=10)
    kept = sorted(config.checkpoint_steps())
    assert kept[:3] == [1, 2, 6] and {1000, 2000, 3000} <= set(kept)
    assert "log_checkpoints" not in TrainConfig(steps=10).key()
    assert config.key()["log_checkpoints"] == 10


def test_dense_checkpoints_fill_a_window_and_stay_out_of_the_key_when_unused():
    config = TrainConfig(steps=300, checkpoint_every=100, dense_checkpoints=(140, 160, 10))
    assert sorted(config.checkpoint_steps()) == [100, 140, 150, 160, 200, 300]
    assert sorted(TrainConfig(steps=150, dense_checkpoints=(140, 200, 5)).checkpoint_steps()) == [140, 145, 150]
    assert "dense_checkpoints" not in TrainConfig(steps=10).key()
    with pytest.raises(ValueError, match="dense_checkpoints"):
        TrainConfig(dense_checkpoints=(100, 200))


def test_reinit_rerandomises_only_its_slices_and_data_seed_changes_only_the_batches():
    head = head_slices(1, 2, ARCH["d_model"] // ARCH["n_heads"])
    build = lambda seed: init_native_model(ARCH, seed)  # noqa: E731
    own, fresh = build(0).state_dict(), build(7).state_dict()
    got = dataclasses.replace(TINY, reinit=head, reinit_seed=7).initial_model(build, 0).state_dict()
    q_rows = slice(32, 48)
    assert torch.equal(got["layers.1.attn.q.weight"][q_rows], fresh["layers.1.attn.q.weight"][q_rows])
    assert torch.equal(got["layers.1.attn.o.weight"][:, q_rows], fresh["layers.1.attn.o.weight"][:, q_rows])
    assert torch.equal(got["layers.1.attn.q.weight"][:32], own["layers.1.attn.q.weight"][:32])
    assert torch.equal(got["layers.0.attn.q.weight"], own["layers.0.attn.q.weight"])
    assert torch.equal(TINY.initial_model(build, 0).state_dict()["layers.1.attn.q.weight"], own["layers.1.attn.q.weight"])
    assert torch.equal(TINY.batch_generator(3).get_state(), dataclasses.replace(TINY, data_seed=3).batch_generator(0).get_state())


def test_init_and_data_options_stay_out_of_the_key_when_unused():
    assert not {"data_seed", "reinit", "reinit_seed"} & set(TINY.key())
    assert dataclasses.replace(TINY, reinit=neuron_slices(4), reinit_seed=1).key()["reinit"] == neuron_slices(4)


def test_an_mlp_neuron_is_rerandomised_in_all_its_weights():
    spec = modular_mlp("add")
    train = dataclasses.replace(spec.train, reinit=neuron_slices(5), reinit_seed=9)
    own, fresh, got = spec.init(0), spec.init(9), train.initial_model(spec.init, 0)
    assert torch.equal(got.fc_in.weight[5], fresh.fc_in.weight[5]) and torch.equal(got.fc_in.bias[5], fresh.fc_in.bias[5])
    assert torch.equal(got.fc_out.weight[:, 5], fresh.fc_out.weight[:, 5])
    assert torch.equal(got.fc_in.weight[6], own.fc_in.weight[6])


def test_a_config_trained_on_the_best_device_keys_on_the_kind_of_that_device(monkeypatch):
    on_cpu, best = TrainConfig(steps=10), TrainConfig(steps=10, device="best")
    assert best.key() == on_cpu.key()  # on a CPU machine: the CPU key, so cached entries stay valid
    monkeypatch.setattr(training, "best_device", lambda: torch.device("cuda"))
    monkeypatch.setattr(training, "device_kind", lambda device: "cuda:NVIDIA H200" if device.type == "cuda" else "cpu")
    assert best.key() == {**on_cpu.key(), "device": "cuda:NVIDIA H200"}
    assert TrainConfig(steps=10).key() == on_cpu.key()  # a CPU config trains on the CPU anywhere


def test_an_unknown_training_device_is_refused():
    with pytest.raises(ValueError, match="unknown training device"):
        TrainConfig(device="cuda")


def test_optimize_refuses_a_model_that_is_not_on_its_training_device(monkeypatch):
    monkeypatch.setattr(training, "best_device", lambda: torch.device("meta"))
    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match="not on meta"):
        training.optimize(model, lambda: model.weight.sum(), TrainConfig(steps=1, device="best"), "linear")
