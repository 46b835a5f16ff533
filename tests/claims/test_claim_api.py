"""harness.claims.claim: declaring a claim, and the declaration mistakes caught at collection."""

from __future__ import annotations

import dataclasses
import linecache
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import claim, group
from harness.claims.claim import ClaimDeclarationError, ClaimSpec, Target, claim_spec, expect_ops_in_source
from harness.interp.compare import OPS
from harness.models import registry

THIS_FILE = __file__


def declare(**overrides):
    """Declare a throw-away claim with ``overrides`` of valid arguments; returns the test."""
    kwargs = dict(problem="3.16", statement="a hypothesis", models=["toy-attn-2l"], seeds=[0, 1, 2]) | overrides
    problem, statement = kwargs.pop("problem"), kwargs.pop("statement")

    def test_body(model, evidence):
        evidence.expect("score", 1.0, ">", 0.5)

    return claim(problem, statement, **kwargs)(test_body)


def test_a_valid_declaration_carries_its_spec_and_the_claim_mark():
    fn = declare(refuted={"toy-attn-2l-seed1": "score 0.3"})
    spec = claim_spec(fn)
    assert spec == ClaimSpec("3.16", "a hypothesis", ("toy-attn-2l",), (0, 1, 2), {"toy-attn-2l-seed1": "score 0.3"})
    assert [m.name for m in fn.pytestmark] == ["claim"]
    assert [t.id for t in spec.targets()] == ["toy-attn-2l-seed0", "toy-attn-2l-seed1", "toy-attn-2l-seed2"]
    assert spec.refuted_on(Target("toy-attn-2l", 1)) == "score 0.3"
    assert spec.refuted_on(Target("toy-attn-2l", 0)) is None
    assert claim_spec(declare(refuted="never")).refuted_on(Target("toy-attn-2l", 2)) == "never"
    per_item = claim_spec(declare(refuted={"toy-attn-2l-seed1-prompts2": "on prompt seed 2"}))
    assert per_item.refuted_on(Target("toy-attn-2l", 1), "toy-attn-2l-seed1-prompts2") == "on prompt seed 2"
    assert per_item.refuted_on(Target("toy-attn-2l", 1), "toy-attn-2l-seed1-prompts0") is None


def test_a_group_is_read_when_the_claim_is_parametrised(monkeypatch):
    """``group(tag)`` resolves to the tagged models at each call: a model tagged later (as
    ``--claims-add-model`` does) joins the claim's targets."""
    monkeypatch.setattr(registry, "_GROUPS", {"toy:induction": {"toy-attn-1l", "toy-attn-2l"}})
    spec = claim_spec(declare(models=group("toy:induction"), seeds=[0]))
    assert [t.id for t in spec.targets()] == ["toy-attn-1l-seed0", "toy-attn-2l-seed0"]
    registry.tag_models("toy:induction", ["toy-attn-3l"])
    assert spec.model_names() == ("toy-attn-1l", "toy-attn-2l", "toy-attn-3l")
    assert registry.model_tags("toy-attn-3l") == ["toy:induction"]
    with pytest.raises(KeyError, match="unregistered model"):
        registry.tag_models("causal-lm", ["no-such-model"])


def test_the_catalog_groups_name_the_paper_and_language_models():
    assert registry.group_members("paper:gpt2-ioi") == ["gpt2-small"]
    assert {"smollm2-135m", "gpt2-small", "pythia-70m", "stanford-gpt2-small-a"} <= set(registry.group_members("causal-lm"))
    assert not set(registry.group_members("attn-only")) & set(registry.group_members("has-mlp"))


@pytest.mark.parametrize(
    "overrides, problem, fix",
    [
        (dict(problem="3.x"), "problem id '3.x' is not of the form 'section.number'", 'write e.g. "3.16"'),
        (dict(problem="3"), "problem id '3' is not of the form", 'write e.g. "3.16"'),
        (dict(problem="9.99"), "problem '9.99' is not in the open-problems list", "catalog/open_problems.txt"),
        (dict(problem="3.34"), "problem '3.34' is not in the open-problems list", "catalog/open_problems.txt"),
        (dict(statement=""), "the claim has no statement", "state the hypothesis in one sentence"),
        (dict(statement="   "), "the claim has no statement", "state the hypothesis in one sentence"),
        (dict(models=[]), "the claim names no model", "models=[...]"),
        (dict(models=group("no-such-tag")), "unknown model group 'no-such-tag'", "catalog.MODEL_GROUPS"),
        (dict(seeds=[]), "seeds () are not non-negative integers", "seeds=[0, 1, 2]"),
        (dict(seeds=[-1]), "seeds (-1,) are not non-negative integers", "seeds=[0, 1, 2]"),
        (dict(seeds=[0.5]), "are not non-negative integers", "seeds=[0, 1, 2]"),
        (dict(refuted=""), "refuted= has an empty reason", "say what the measurement found"),
        (dict(refuted={"toy-attn-2l-seed0": " "}), "refuted= has an empty reason", "say what the measurement found"),
        (dict(refuted={"toy-attn-2l-seed7": "x"}), "refuted= names targets the claim does not run on: ['toy-attn-2l-seed7']",
         "use ids among ['toy-attn-2l-seed0', 'toy-attn-2l-seed1', 'toy-attn-2l-seed2']"),
        (dict(refuted={"toy-attn-2l": "x"}), "refuted= names targets the claim does not run on: ['toy-attn-2l']", "use ids among"),
        (dict(machine_dependent="0.49 here"), "machine_dependent= is not {target id: what was measured where}", "toy-attn-2l-seed0"),
        (dict(machine_dependent={"toy-attn-2l-seed0": ""}), "machine_dependent= is not", "0.52 on AVX2"),
        (dict(machine_dependent={"toy-attn-2l-seed5": "x"}), "machine_dependent= names targets the claim does not run on", "use ids among"),
        (dict(refuted={"toy-attn-2l-seed0": "x"}, machine_dependent={"toy-attn-2l-seed0": "y"}),
         "marked both refuted and machine-dependent", "keep one of the two"),
    ],
)
def test_declaration_errors_name_the_file_the_problem_and_the_fix(overrides, problem, fix):
    with pytest.raises(ClaimDeclarationError) as err:
        declare(**overrides)
    message = str(err.value)
    assert message.startswith(f"{THIS_FILE}:")
    assert "(test_body)" in message
    assert problem in message
    assert fix in message.split(". Fix: ")[1]


def test_unknown_op_in_expect_is_caught_statically():
    def test_body(model, evidence):
        evidence.expect("fine", 1.0, ">=", 0.5)
        if False:  # never runs: the check reads the source
            evidence.expect("score", 1.0, "=>", 0.5)

    with pytest.raises(ClaimDeclarationError, match=r"unknown comparison '=>'. Fix: use one of > >= < <= == !="):
        claim("3.16", "a hypothesis", models=["toy-attn-2l"])(test_body)


def test_static_op_check_reads_only_literal_ops_of_expect_calls():
    threshold_op = ">"

    def body(ev, other):
        ev.expect("a", 1, "<=", 2)
        ev.expect("b", 1, threshold_op, 2)  # not a literal: checked when it runs
        other.compare("c", 1, "~", 2)
        ev.expect(name="d", value=1, op="!=", threshold=2)

    assert expect_ops_in_source(body) == ["<=", "!="]


def compile_claim_body(source: str, filename: str):
    """``body`` defined by ``source``, with its source findable by ``inspect`` (linecache)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["body"]


@given(st.sampled_from(sorted(OPS)) | st.text(max_size=3))
def test_claim_accepts_exactly_the_ops_of_the_table(op):
    body = compile_claim_body(f"def body(model, evidence):\n    evidence.expect('m', 1.0, {op!r}, 0.0)\n", "<claim-op>")
    if op in OPS:
        claim("3.16", "a hypothesis", models=["toy-attn-2l"])(body)
    else:
        with pytest.raises(ClaimDeclarationError, match="unknown comparison"):
            claim("3.16", "a hypothesis", models=["toy-attn-2l"])(body)


@dataclasses.dataclass(frozen=True)
class FakeSpec:
    name: str
    description: str = "a fake model for tests"

    def load(self, seed, cache_root):
        return {"seed": seed}


@pytest.fixture
def fake_models(monkeypatch):
    """Two fake models in the registry for the duration of a test."""
    for name in ("fake-small", "fake-big"):
        monkeypatch.setitem(registry.MODELS._items, name, FakeSpec(name))


def test_collection_gives_readable_ids_and_reports_declaration_errors(pytester, fake_models):
    pytester.makepyfile(
        test_good=textwrap.dedent(
            """
            from harness import claim

            @claim("3.16", "fake models have a value", models=["fake-small", "fake-big"], seeds=[0, 1])
            def test_value(model, evidence):
                evidence.expect("value", 1.0, ">", 0.0)
            """
        ),
        test_unknown_model=textwrap.dedent(
            """
            from harness import claim

            @claim("3.16", "a hypothesis", models=["fake-small", "toy-attn-9l"])
            def test_value(model, evidence):
                evidence.expect("value", 1.0, ">", 0.0)
            """
        ),
        test_bad_problem=textwrap.dedent(
            """
            from harness import claim

            @claim("9.99", "a hypothesis", models=["fake-small"])
            def test_value(model, evidence):
                evidence.expect("value", 1.0, ">", 0.0)
            """
        ),
        test_bad_op=textwrap.dedent(
            """
            from harness import claim

            @claim("3.16", "a hypothesis", models=["fake-small"])
            def test_value(model, evidence):
                evidence.expect("value", 1.0, "=>", 0.0)
            """
        ),
    )
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:randomly", "-p", "no:benchmark")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # collection errors stop the run
    out = result.stdout.str()
    good = [line for line in result.outlines if line.startswith("test_good.py::")]
    assert good == [
        "test_good.py::test_value[fake-small-seed0]",
        "test_good.py::test_value[fake-small-seed1]",
        "test_good.py::test_value[fake-big-seed0]",
        "test_good.py::test_value[fake-big-seed1]",
    ]
    assert "ERROR collecting test_unknown_model.py" in out
    assert "unknown model(s) ['toy-attn-9l']" in out
    assert "Fix: use registered names (" in out and "fake-big, fake-small" in out
    assert "register the model in a catalog/ module listed in catalog/__init__.py" in out
    for name, problem in [("test_unknown_model", "unknown model"), ("test_bad_problem", "not in the open-problems list"),
                          ("test_bad_op", "unknown comparison '=>'")]:
        assert f"ERROR collecting {name}.py" in out
        # the message names the claim file and line, then the fix
        assert any(f"{pytester.path / name}.py:" in line and problem in line and "Fix:" in line for line in result.outlines), name
    assert "3 errors" in out


def test_claims_models_must_name_registered_models(pytester, fake_models):
    pytester.makepyfile(test_good="def test_plain():\n    pass\n")
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:benchmark", "--claims-models", "fake-small,fake-smal")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--claims-models: unknown model(s) ['fake-smal']; registered: " in result.stderr.str()
