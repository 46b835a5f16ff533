"""Analyses and variants of the modular-addition MLP (``catalog.modular``) for problems 3.25 /
3.26 (dimensionality reduction, weight ablation): its views as matrices whose rows are inputs,
and the test accuracy with one parameter block zero-ablated."""

from __future__ import annotations

import copy

import torch

from catalog.modular import ModularProblem, modular_embedding, modular_logits, modular_neuron_acts
from harness.models.mlp import OneHiddenLayerMLP


def mlp_views(model: OneHiddenLayerMLP, problem: ModularProblem) -> dict[str, torch.Tensor]:
    """Three matrices of a modular MLP whose rows are inputs of the Fourier analysis:
    ``embedding`` ``[p, hidden]`` (the input weights of ``a``, rows ``a``), ``unembedding``
    ``[p, hidden]`` (the output weights, rows the answer ``c``) and ``neuron acts``
    ``[p**2, hidden]`` (rows the pairs ``(a, b)``, row ``a * p + b``)."""
    return {
        "embedding": modular_embedding(model, problem),
        "unembedding": model.fc_out.weight.detach(),
        "neuron acts": modular_neuron_acts(model, problem).flatten(0, 1),
    }


def held_out_accuracy(model: OneHiddenLayerMLP, problem: ModularProblem) -> float:
    """Accuracy on the pairs outside the training split."""
    test = ~problem.train_mask
    return float((modular_logits(model, problem)[test].argmax(-1) == problem.labels[test]).float().mean())


def block_ablation_accuracy(model: OneHiddenLayerMLP, problem: ModularProblem) -> dict[str, float]:
    """Test accuracy with each parameter block zero-ablated alone: the input weights of ``a``
    (``W_in[a]``) and of ``b`` (``W_in[b]``), the hidden bias, the output weights and bias."""
    blocks = {
        "W_in[a]": lambda m: m.fc_in.weight[:, : problem.p],
        "W_in[b]": lambda m: m.fc_in.weight[:, problem.p :],
        "b_in": lambda m: m.fc_in.bias,
        "W_out": lambda m: m.fc_out.weight,
        "b_out": lambda m: m.fc_out.bias,
    }
    out = {}
    for name, block in blocks.items():
        ablated = copy.deepcopy(model)
        with torch.no_grad():
            block(ablated).zero_()
        out[name] = held_out_accuracy(ablated, problem)
    return out
