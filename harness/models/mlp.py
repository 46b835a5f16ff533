"""One-hidden-layer MLPs trained here, full batch, on a fixed dataset; disk-cached with their
training checkpoints like the toy transformers (``harness.models.trained.TrainedSpec``).

A dataset is registered by name (``catalog/`` registers the concrete ones) as
``fn() -> (inputs [n, d_in] float, labels [n] int64, train_mask [n] bool)``; the model trains
on the rows where ``train_mask`` is True, with AdamW, every step on the whole training set.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar

import torch
import torch.nn.functional as F

from harness.models.disk_cache import Artifact
from harness.models.progress import progress_to_terminal
from harness.models.registry import Registry
from harness.models.trained import TrainedSpec, join_checkpoints, split_checkpoints
from harness.models.training import TrainConfig, TrainResult, optimize

MLP_TRAINING_CODE_VERSION = 1

DatasetFn = Callable[[], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
DATASETS: Registry[DatasetFn] = Registry("dataset")

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def register_dataset(name: str) -> Callable[[DatasetFn], DatasetFn]:
    """Decorator: register ``fn`` (-> inputs, labels, train mask) as the MLP dataset ``name``."""
    return DATASETS.named(name)


def get_dataset(name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return DATASETS[name]()


class OneHiddenLayerMLP(torch.nn.Module):
    """``x [n, d_in] -> act(x W_in + b_in) W_out + b_out [n, d_out]``."""

    def __init__(self, d_in: int, d_hidden: int, d_out: int, act: str):
        super().__init__()
        self.fc_in = torch.nn.Linear(d_in, d_hidden)
        self.fc_out = torch.nn.Linear(d_hidden, d_out)
        self.act = act

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden activations ``[n, d_hidden]``."""
        return ACTIVATIONS[self.act](self.fc_in(x.to(self.fc_in.weight.device)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_out(self.hidden(x))


def neuron_slices(neuron: int) -> tuple[tuple[str, int, int, int], ...]:
    """A hidden neuron's weights (in, bias, out) as ``TrainConfig.reinit`` slices."""
    return (("fc_in.weight", 0, neuron, neuron + 1), ("fc_in.bias", 0, neuron, neuron + 1),
            ("fc_out.weight", 1, neuron, neuron + 1))


def weight_norm(state_dict: dict[str, torch.Tensor]) -> float:
    """Euclidean norm of all parameters together (the quantity weight decay shrinks)."""
    return float(sum(v.double().pow(2).sum() for v in state_dict.values()) ** 0.5)


def train_mlp_full_batch(
    model: OneHiddenLayerMLP, inputs: torch.Tensor, labels: torch.Tensor, train: TrainConfig, name: str
) -> TrainResult:
    """Full-batch AdamW with linear warmup on (inputs [n, d_in], labels [n])."""
    return optimize(model, lambda: F.cross_entropy(train.loss_input(model(inputs)), labels), train, name,
                    progress_to_terminal)


@dataclasses.dataclass(frozen=True)
class MLPSpec(TrainedSpec):
    """A one-hidden-layer MLP trained full batch on the registered dataset ``dataset``."""

    dataset: str
    d_in: int
    d_hidden: int
    d_out: int
    act: str
    train: TrainConfig

    KIND: ClassVar[str] = "mlp"
    CODE_VERSION: ClassVar[int] = MLP_TRAINING_CODE_VERSION

    def init(self, seed: int) -> OneHiddenLayerMLP:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return OneHiddenLayerMLP(self.d_in, self.d_hidden, self.d_out, self.act)

    def train_artifact(self, seed: int) -> Artifact:
        return self.fit(self.train.initial_model(self.init, seed), self.train, self.name, seed)

    def fit(self, model: OneHiddenLayerMLP, train: TrainConfig, name: str, seed: int) -> Artifact:
        """Train ``model`` (this spec's architecture, e.g. with pruning masks) on the dataset:
        the disk-cache artifact of the run, for the model registered as ``name``."""
        inputs, labels, train_mask = get_dataset(self.dataset)
        result = train_mlp_full_batch(model, inputs[train_mask], labels[train_mask], train, f"{name} seed {seed}")
        meta = {"model": name, "losses": result.losses, "train_seconds": result.seconds}
        return join_checkpoints(result.state_dict, result.checkpoints), meta

    def from_state(self, state: dict[str, torch.Tensor], seed: int, meta: dict[str, Any], label: str) -> OneHiddenLayerMLP:
        model = OneHiddenLayerMLP(self.d_in, self.d_hidden, self.d_out, self.act)
        model.load_state_dict(state)
        return model.eval()


@dataclasses.dataclass(frozen=True)
class FineTunedMLPSpec(MLPSpec):
    """An MLP fine-tuned on ``dataset`` from ``parent``'s final weights at the same seed (the
    same shape). Its cache key holds the parent's whole key, so retraining the parent retrains
    it; its checkpoints are steps of the fine-tuning run (the parent's weights are not among them)."""

    parent: MLPSpec | None = None

    KIND: ClassVar[str] = "fine-tuned-mlp"

    def __post_init__(self) -> None:
        shape = (self.d_in, self.d_hidden, self.d_out, self.act)
        if self.parent is None or (self.parent.d_in, self.parent.d_hidden, self.parent.d_out, self.parent.act) != shape:
            raise ValueError(f"{self.name}: a fine-tuned MLP needs a parent of the same shape")

    def payload(self, seed: int) -> dict[str, Any]:
        return {**super().payload(seed), "parent": self.parent.payload(seed)}

    def train_in(self, seed: int, cache_root) -> Artifact:
        parent_tensors, _ = self.parent.artifact(seed, cache_root)
        model = self.init(seed)
        model.load_state_dict(split_checkpoints(parent_tensors)[0])
        return self.fit(model, self.train, self.name, seed)


def neuron_ablation_flips(model: OneHiddenLayerMLP, inputs: torch.Tensor) -> torch.Tensor:
    """``[d_hidden]``: for each hidden neuron, the share of ``inputs`` ``[n, d_in]`` whose
    predicted class changes when that neuron alone is zero-ablated."""
    with torch.no_grad():
        hidden = model.hidden(inputs)  # [n, h]
        logits = model.fc_out(hidden)  # [n, c]
        contributions = hidden[:, :, None] * model.fc_out.weight.T[None]  # [n, h, c]
        ablated = logits[:, None, :] - contributions  # [n, h, c]
        return (ablated.argmax(-1) != logits.argmax(-1)[:, None]).float().mean(dim=0)


def margin_concentration(model: OneHiddenLayerMLP, inputs: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """``[n]``: share of each input's logit margin (its label's logit minus the mean logit)
    carried by its ``k`` largest positive neuron contributions, over all positive ones."""
    with torch.no_grad():
        hidden = model.hidden(inputs)
        weights = model.fc_out.weight  # [c, h]
        centred = weights[labels] - weights.mean(dim=0)  # [n, h]
        contributions = (hidden * centred).clamp(min=0)  # [n, h]
        return contributions.topk(k, dim=1).values.sum(1) / contributions.sum(1).clamp(min=1e-12)
