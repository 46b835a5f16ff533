"""mi-claims harness: ``claims`` (the claim API, evidence, plugin, report), ``models`` (making
models exist), ``interp`` (the toolkit) and ``tms`` (toy models of superposition)."""

from harness.claims.claim import claim, group  # noqa: F401  (the names a claim file imports)
from harness.models.registry import ModelUnavailable  # noqa: F401
