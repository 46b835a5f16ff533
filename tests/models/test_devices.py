import pytest
import torch

from harness.models import devices
from harness.models.devices import device_kind, inputs_follow_the_model, place_worker, visible_gpus, worker_gpu


def test_worker_i_takes_gpu_i_mod_g():
    assert [worker_gpu(f"gw{i}", ["0", "1", "2"]) for i in range(5)] == ["0", "1", "2", "0", "1"]


def test_a_worker_sees_only_its_gpu_among_the_visible_ones():
    environ = {"PYTEST_XDIST_WORKER": "gw4", "CUDA_VISIBLE_DEVICES": "2,5,7"}
    assert place_worker(environ) == "5" and environ["CUDA_VISIBLE_DEVICES"] == "5"


@pytest.mark.parametrize("environ", [{"CUDA_VISIBLE_DEVICES": "0,1"}, {"PYTEST_XDIST_WORKER": "gw1", "CUDA_VISIBLE_DEVICES": ""}])
def test_no_worker_or_no_gpu_changes_nothing(environ):
    before = dict(environ)
    assert place_worker(environ) is None and environ == before


def test_gpus_are_counted_without_cuda(monkeypatch):
    monkeypatch.setattr(devices.shutil, "which", lambda name: None)
    assert visible_gpus({}) == []
    listing = "GPU 0: NVIDIA H200 (UUID: GPU-a)\nGPU 1: NVIDIA H200 (UUID: GPU-b)\n"
    monkeypatch.setattr(devices.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(devices.subprocess, "run", lambda *a, **k: type("Done", (), {"stdout": listing})())
    assert visible_gpus({}) == ["0", "1"]


def test_the_cpu_kind():
    assert device_kind(torch.device("cpu")) == "cpu"


def test_a_models_inputs_follow_it_to_its_device():
    # "meta" stands in for a GPU here: a CPU tensor given to a meta module fails unless moved
    linear = inputs_follow_the_model(torch.nn.Linear(3, 2, device="meta"))
    assert linear(torch.ones(4, 3)).device.type == "meta"
    assert linear.forward(input=torch.ones(4, 3)).device.type == "meta"  # as run_with_cache calls it
    assert linear.to_empty(device="cpu")(torch.ones(4, 3)).device.type == "cpu"  # it follows a later move
