"""Collecting claims: parametrising each over its (model, seed) targets, marking the refuted and
machine-dependent ones, recording what the report needs of each item, and after the body the
claim's evidence (``user_properties`` travel from xdist workers to the controller)."""

from __future__ import annotations

import inspect
import os
import tomllib

import pytest

from harness.claims.claim import ClaimDeclarationError, Target, claim_spec, where
from harness.claims.evidence import Evidence, ExpectationFailed, Inconclusive
from harness.models import memory_cache, passes
from harness.models.pretrained.added import BadModelSpec, parse_added_model
from harness.models.registry import model_names, register_model, tag_models

ADDED_MODELS_GROUP = "causal-lm"

CLAIM_KEY = "mi_claims.claim"
RESULT_KEY = "mi_claims.result"
PASSES_KEY = "mi_claims.passes"


def selected_models(config: pytest.Config) -> set[str] | None:
    raw = config.getoption("claims_models")
    return {name.strip() for name in raw.split(",") if name.strip()} if raw else None


def parametrize(metafunc: pytest.Metafunc) -> None:
    """A claim runs once per target of its ``@claim``; ``--claims-models`` skips the others."""
    spec = claim_spec(metafunc.function)
    if spec is None:
        return
    unknown = [m for m in spec.model_names() if m not in model_names()]
    if unknown:
        raise ClaimDeclarationError(
            f"{where(metafunc.function)}: unknown model(s) {unknown}. "
            f"Fix: use registered names ({', '.join(model_names())}) or register the model in a catalog/ module listed in catalog/__init__.py"
        )
    wanted = selected_models(metafunc.config)
    params = [
        pytest.param(
            target,
            id=target.id,
            marks=[] if wanted is None or target.model in wanted else [pytest.mark.skip(reason=f"--claims-models excludes {target.model}")],
        )
        for target in spec.targets()
    ]
    metafunc.parametrize("target", params)


def added_model_specs(config: pytest.Config) -> list[str]:
    """``add-models`` under ``[tool.mi-claims]`` in the rootdir's pyproject.toml, then each ``--claims-add-model``."""
    pyproject = config.rootpath / "pyproject.toml"
    table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("mi-claims", {}) if pyproject.is_file() else {}
    return [*table.get("add-models", []), *(config.getoption("claims_add_model") or [])]


def add_models(config: pytest.Config) -> None:
    """Register each added model and put it in the ``causal-lm`` group; a bad SPEC, or a name
    that a registered model already has, stops the run before collection."""
    for spec in added_model_specs(config):
        try:
            model = parse_added_model(spec)
        except BadModelSpec as err:
            raise pytest.UsageError(f"--claims-add-model {err}") from None
        if model.name in model_names():
            raise pytest.UsageError(f"--claims-add-model {spec}: the name {model.name!r} is taken by a registered model")
        register_model(model)
        tag_models(ADDED_MODELS_GROUP, [model.name])


def refuse_unknown_selection(config: pytest.Config) -> None:
    """A typo in --claims-models would skip every claim and pass the run: refuse it."""
    if unknown := sorted((selected_models(config) or set()) - set(model_names())):
        raise pytest.UsageError(f"--claims-models: unknown model(s) {unknown}; registered: {', '.join(model_names())}")


def mark_claims(items: list[pytest.Item]) -> None:
    """Refuted targets must fail (strict xfail), machine-dependent ones may; each claim item
    carries its declaration for the report."""
    for item in items:
        spec = claim_spec(getattr(item, "function", None))
        if spec is None:
            continue
        target: Target = item.callspec.params["target"]
        refuted, machine_dependent = spec.refuted_on(target, item.callspec.id), spec.machine_dependent_on(target)
        if refuted:
            item.add_marker(pytest.mark.xfail(reason=refuted, raises=ExpectationFailed, strict=True))
        if machine_dependent:  # either verdict passes the run; the report says which one
            item.add_marker(pytest.mark.xfail(reason=machine_dependent, raises=ExpectationFailed, strict=False))
        item.user_properties.append(
            (
                CLAIM_KEY,
                {
                    "claim": item.originalname,
                    "file": item.nodeid.split("::")[0],
                    "problem": spec.problem,
                    "statement": spec.statement,
                    "expected": "refuted" if refuted else "machine-dependent" if machine_dependent else "holds",
                    "refuted_reason": refuted,
                    "machine_dependent_reason": machine_dependent,
                    "model": target.model,
                    "seed": target.seed,
                    "docstring": inspect.cleandoc(item.function.__doc__ or ""),
                },
            )
        )


def outcome_of(exc: BaseException | None) -> str:
    if exc is None:
        return "holds"
    if isinstance(exc, Inconclusive):
        return "inconclusive"
    return "fails" if isinstance(exc, ExpectationFailed) else "error"


def record_evidence(item: pytest.Item):
    """Wraps the claim body (a hook wrapper's generator): raise the collected expectation failures,
    and record the evidence in ``user_properties``."""
    ev: Evidence | None = getattr(item, "_mi_evidence", None)
    if ev is None:
        return (yield)
    exc: BaseException | None = None
    try:
        result = yield
        ev.raise_if_failed()
        return result
    except BaseException as err:
        exc = err
        raise
    finally:
        target: Target = item.callspec.params["target"]
        item.user_properties.append(
            (RESULT_KEY, {"outcome": outcome_of(exc), "message": str(exc) if exc else "", **ev.to_json(),
                          "provenance": memory_cache.provenance(target.model, target.seed)}),
        )
        # this worker's forward passes so far (cumulative: the controller keeps each worker's last)
        item.user_properties.append(
            (PASSES_KEY, {"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "counts": passes.snapshot()})
        )
