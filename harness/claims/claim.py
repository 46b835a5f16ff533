"""The claim API: a decorator that turns a test into a hypothesis on models x seeds.

    @claim("3.16", "toy-attn-2l forms an induction head", models=["toy-attn-2l"], seeds=[0, 1, 2])
    def test_two_layer_model_has_induction_head(model, target, evidence):
        ...

Declaration mistakes raise ``ClaimDeclarationError`` at import (collection) time, with the file,
the line and the fix.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
from typing import Callable, Mapping, Sequence

import pytest

from harness.claims.problems import PROBLEM_ID, known_problems
from harness.interp.compare import OPS
from harness.models.registry import group_members

CLAIM_ATTR = "_mi_claim"


class ClaimDeclarationError(Exception):
    """A claim is declared wrongly (bad problem id, no statement, unknown model or op)."""


@dataclasses.dataclass(frozen=True)
class Group:
    """``models=group("causal-lm")``: every model tagged so (``catalog.MODEL_GROUPS``), read when
    the claim is parametrised, so that models added by ``--claims-add-model`` join."""

    tag: str

    def names(self) -> tuple[str, ...]:
        return tuple(group_members(self.tag))


def group(tag: str) -> Group:
    return Group(tag)


@dataclasses.dataclass(frozen=True)
class ClaimSpec:
    problem: str
    statement: str
    models: tuple[str, ...] | Group
    seeds: tuple[int, ...]
    # why the hypothesis is kept on record although refuted: one text for every target, or
    # {target id ("toy-attn-2l-seed0"): text} for the targets where it was refuted
    refuted: None | str | Mapping[str, str] = None
    # {target id: what was measured on which machines} for targets whose verdict differs between
    # machines (another CPU's kernels train other weights; see README "What is reproducible")
    machine_dependent: Mapping[str, str] | None = None

    def refuted_on(self, target: "Target", item_id: str | None = None) -> str | None:
        """The refutation text for ``target``; with a mapping, a key naming the test item
        (``item_id``, the target id and a further parametrisation, e.g. a prompt seed:
        ``"smollm2-135m-seed0-prompts1"``) wins over the target's."""
        if isinstance(self.refuted, Mapping):
            return self.refuted.get(item_id) or self.refuted.get(target.id)
        return self.refuted

    def machine_dependent_on(self, target: "Target") -> str | None:
        return (self.machine_dependent or {}).get(target.id)

    def model_names(self) -> tuple[str, ...]:
        return self.models.names() if isinstance(self.models, Group) else self.models

    def targets(self) -> list["Target"]:
        return [Target(m, s) for m in self.model_names() for s in self.seeds]


@dataclasses.dataclass(frozen=True)
class Target:
    """One (model, seed) a claim runs on."""

    model: str
    seed: int

    @property
    def id(self) -> str:
        return f"{self.model}-seed{self.seed}"


def where(fn: Callable) -> str:
    fn = inspect.unwrap(fn)
    return f"{inspect.getsourcefile(fn)}:{fn.__code__.co_firstlineno} ({fn.__name__})"


def expect_ops_in_source(fn: Callable) -> list[str]:
    """The literal ops of every ``<x>.expect(name, value, "op", threshold)`` and ``<x>.require``
    call in ``fn`` (positional or ``op=``)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return []
    ops = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("expect", "require"):
            args = node.args[2:3] + [k.value for k in node.keywords if k.arg == "op"]
            ops += [a.value for a in args if isinstance(a, ast.Constant)]
    return ops


def validate(spec: ClaimSpec, fn: Callable) -> None:
    def fail(problem: str, fix: str) -> None:
        raise ClaimDeclarationError(f"{where(fn)}: {problem}. Fix: {fix}")

    if not PROBLEM_ID.match(spec.problem):
        fail(f"problem id {spec.problem!r} is not of the form 'section.number'", 'write e.g. "3.16"')
    if spec.problem not in known_problems():
        fail(
            f"problem {spec.problem!r} is not in the open-problems list",
            "use a number from catalog/open_problems.txt",
        )
    if not spec.statement or not spec.statement.strip():
        fail("the claim has no statement", "state the hypothesis in one sentence")
    if isinstance(spec.models, Group):
        try:
            spec.models.names()
        except KeyError as err:
            fail(err.args[0], "use a tag of catalog.MODEL_GROUPS or add it there")
    elif not spec.models:
        fail("the claim names no model", "pass models=[...] with registered model names")
    if not spec.seeds or not all(isinstance(s, int) and s >= 0 for s in spec.seeds):
        fail(f"seeds {spec.seeds!r} are not non-negative integers", "pass seeds=[0, 1, 2]")
    reasons = spec.refuted.values() if isinstance(spec.refuted, Mapping) else [spec.refuted]
    if spec.refuted is not None and not all(isinstance(r, str) and r.strip() for r in reasons):
        fail("refuted= has an empty reason", "say what the measurement found")
    if isinstance(spec.refuted, Mapping):
        ids = {t.id for t in spec.targets()}
        if stray := sorted(k for k in spec.refuted if k not in ids and not any(k.startswith(i + "-") for i in ids)):
            fail(f"refuted= names targets the claim does not run on: {stray}", f"use ids among {sorted(ids)}")
    if spec.machine_dependent is not None:
        ids = {t.id for t in spec.targets()}
        if not isinstance(spec.machine_dependent, Mapping) or not all(isinstance(r, str) and r.strip() for r in spec.machine_dependent.values()):
            fail("machine_dependent= is not {target id: what was measured where}", 'write {"toy-attn-2l-seed0": "0.49 here, 0.52 on AVX2"}')
        if stray := sorted(set(spec.machine_dependent) - ids):
            fail(f"machine_dependent= names targets the claim does not run on: {stray}", f"use ids among {sorted(ids)}")
        if both := sorted(t.id for t in spec.targets() if spec.refuted_on(t) and spec.machine_dependent_on(t)):
            fail(f"targets {both} are marked both refuted and machine-dependent", "keep one of the two")
    for op in expect_ops_in_source(fn):
        if op not in OPS:
            fail(f"evidence.expect / require uses unknown comparison {op!r}", f"use one of {' '.join(OPS)}")


def claim(
    problem: str,
    statement: str,
    *,
    models: Sequence[str] | Group,
    seeds: Sequence[int] = (0,),
    refuted: None | str | Mapping[str, str] = None,
    machine_dependent: Mapping[str, str] | None = None,
) -> Callable[[Callable], Callable]:
    """Declare a test as a claim on ``problem`` about ``models`` x ``seeds``; ``models`` is a
    list of registered names or ``group(tag)``.

    ``refuted``: keep a hypothesis our measurements refute on record; the text says what was
    found, for all targets or as ``{"model-seedN": text}`` for the targets where it failed.
    There the claim is expected to fail its expectations (pytest strict xfail): if it starts
    to hold, the run fails so that the record is revisited.

    ``machine_dependent``: ``{"model-seedN": text}`` for targets whose verdict flips between
    machines because the model trained there is another one (the text gives the values measured
    on each). Either verdict passes the run; the report shows which one this machine got.
    """

    def decorate(fn: Callable) -> Callable:
        frozen = dict(refuted) if isinstance(refuted, Mapping) else refuted
        spec = ClaimSpec(problem, statement, models if isinstance(models, Group) else tuple(models), tuple(seeds), frozen,
                         dict(machine_dependent) if isinstance(machine_dependent, Mapping) else machine_dependent)
        validate(spec, fn)
        setattr(fn, CLAIM_ATTR, spec)
        return pytest.mark.claim(fn)

    return decorate


def claim_spec(fn: Callable) -> ClaimSpec | None:
    return getattr(fn, CLAIM_ATTR, None)
