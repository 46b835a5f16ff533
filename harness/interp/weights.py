"""How far weights moved between two models of one architecture (e.g. before and after
fine-tuning), per head circuit: each head's QK circuit ``W_Q W_K^T`` (where it attends) and OV
circuit ``W_V W_O`` (what it writes), ``[d_model, d_model]`` in TransformerLens's row-vector
convention (Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits")."""

from __future__ import annotations

import torch

from harness.interp.composition import head_factors


def head_circuits(model) -> dict[str, torch.Tensor]:
    """{"QK", "OV": [n_layers, n_heads, d_model, d_model]} as float64 on the CPU."""
    w = head_factors(model)
    return {"QK": w["W_Q"] @ w["W_K"].transpose(-1, -2), "OV": w["W_V"] @ w["W_O"]}


def relative_change(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """``||after - before||_F / ||before||_F`` over the last two dims: ``[..., m, n]`` -> ``[...]``."""
    return torch.linalg.matrix_norm(after - before) / torch.linalg.matrix_norm(before)


def circuit_changes(before, after) -> dict[str, torch.Tensor]:
    """{"QK", "OV": [n_layers, n_heads]} relative change of each head's circuits from model
    ``before`` to model ``after``."""
    old, new = head_circuits(before), head_circuits(after)
    return {kind: relative_change(old[kind], new[kind]) for kind in old}
