"""Jermyn & Shlegeris 2022's multi-component toy models of S-curves (seed problems 5.7, 5.8),
and two variants nearer a transformer: a residual-style identity path, and a normalised product
(``harness.models.factored``)."""

from __future__ import annotations

from harness.models.factored import FORMS, FactoredSpec
from harness.models.registry import register_model
from harness.models.training import TrainConfig

# Plain gradient descent as in the post; a small initialisation (the post's premise: components
# start far from the target) and enough steps for every form to converge.
S_CURVE_TRAIN = TrainConfig(steps=3000, lr=0.01, warmup_steps=0, log_every=10)
S_CURVE_N = 16
S_CURVE_INIT = 1e-3

for _form in FORMS:
    register_model(FactoredSpec(
        f"s-curve-{_form}",
        f"rank-1 target [{S_CURVE_N}, {S_CURVE_N}] regressed by the '{_form}' model "
        f"(harness.models.factored), init scale {S_CURVE_INIT}, gradient descent lr {S_CURVE_TRAIN.lr}, "
        f"{S_CURVE_TRAIN.steps} steps",
        S_CURVE_N, _form, S_CURVE_INIT, S_CURVE_TRAIN,
    ))
