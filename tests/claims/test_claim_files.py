"""Rules every claim file keeps (the README's "Writing a claim")."""

import ast
from pathlib import Path

CLAIMS = Path(__file__).resolve().parents[2] / "claims"


def claim_functions() -> list[tuple[Path, ast.FunctionDef]]:
    found = []
    for path in sorted(CLAIMS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", None) == "claim" for d in node.decorator_list
            ):
                found.append((path, node))
    return found


def test_claims_are_found():
    assert len(claim_functions()) > 100


def test_every_claim_has_a_docstring_with_its_threshold_and_source():
    """The report shows the docstring as the claim's threshold source: an empty one hides it."""
    missing = [f"{path.relative_to(CLAIMS.parent)}::{node.name}" for path, node in claim_functions()
               if not (ast.get_docstring(node) or "").strip()]
    assert not missing, f"claims without a docstring (state the threshold and its source): {missing}"
