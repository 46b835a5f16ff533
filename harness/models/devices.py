"""Where models run: the best device, one GPU per xdist worker, the dtype, and the device kind
that trained an artifact (part of its disk-cache key).

``place_worker`` must run before torch initialises CUDA in the worker (the plugin's
``pytest_configure``): CUDA reads ``CUDA_VISIBLE_DEVICES`` once, at initialisation. The GPUs are
counted with ``nvidia-smi``, which does not initialise CUDA in this process.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from typing import MutableMapping

import torch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
CPU_KIND = "cpu"


def best_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_kind(device: torch.device) -> str:
    """``"cpu"``, or ``"cuda:<GPU name>"`` (e.g. ``"cuda:NVIDIA H200"``): what a training run's
    float results depend on beyond the seed."""
    return CPU_KIND if device.type == "cpu" else f"{device.type}:{torch.cuda.get_device_name(device)}"


def visible_gpus(environ: MutableMapping[str, str]) -> list[str]:
    """The GPUs this process may use: ``CUDA_VISIBLE_DEVICES``' entries if set, else the indices
    ``nvidia-smi -L`` lists (none without it)."""
    if "CUDA_VISIBLE_DEVICES" in environ:
        return [g for g in environ["CUDA_VISIBLE_DEVICES"].split(",") if g.strip() and g.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):  # a hung or broken driver: no GPU to place on
        return []
    return [str(i) for i, _ in enumerate(re.findall(r"^GPU \d+:", listing, flags=re.M))]


def worker_gpu(worker: str, gpus: list[str]) -> str:
    """The GPU of xdist worker ``worker`` (``"gw<i>"``): GPU i mod G."""
    return gpus[int(worker.removeprefix("gw")) % len(gpus)]


def place_worker(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """In an xdist worker with GPUs, make only its GPU visible (``CUDA_VISIBLE_DEVICES``) and
    return it; ``None`` elsewhere (no worker, or no GPU)."""
    worker, gpus = environ.get("PYTEST_XDIST_WORKER"), visible_gpus(environ)
    if not worker or not gpus:
        return None
    environ["CUDA_VISIBLE_DEVICES"] = worker_gpu(worker, gpus)
    return environ["CUDA_VISIBLE_DEVICES"]


def inputs_follow_the_model(module: torch.nn.Module) -> torch.nn.Module:
    """Make ``module``'s forward move its tensor arguments to the device of its parameters.

    Claims and the toolkit build tokens and inputs on the CPU; TransformerLens moves only string
    inputs, and its ``run_with_cache`` / ``run_with_hooks`` call ``forward`` directly (a module
    pre-hook would not see them), so the instance's ``forward`` is wrapped."""
    forward = module.forward

    @functools.wraps(forward)
    def on_the_model_device(*args, **kwargs):
        device = next(module.parameters()).device  # at each call: the model may have moved since

        def move(value):
            return value.to(device) if isinstance(value, torch.Tensor) else value

        return forward(*map(move, args), **{name: move(value) for name, value in kwargs.items()})

    module.forward = on_the_model_device
    return module
