"""Model identity warnings: two model names whose loaded weights have the same sha256 (a
checkpoint served under the wrong name, as the Pythia and InterpBench trackers have seen), or a
(model, seed) whose weights changed since the last run that loaded it (``reports/history/``).
Computed from ``claims.json`` records (each claim's ``provenance["weights"]``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def weights_of(claims: list[dict[str, Any]]) -> dict[str, str]:
    """{target id "model-seedN": weight sha256} of the claims whose model was loaded."""
    return {f"{c['model']}-seed{c['seed']}": c["provenance"]["weights"]
            for c in claims if (c.get("provenance") or {}).get("weights")}


def identity_warnings(claims: list[dict[str, Any]], history: list[dict[str, Any]]) -> list[str]:
    """The warnings of this run's ``claims`` against the compact ``history`` records, oldest first."""
    now = weights_of(claims)
    names_by_hash: dict[str, set[str]] = defaultdict(set)
    for claim in claims:
        if weights := (claim.get("provenance") or {}).get("weights"):
            names_by_hash[weights].add(claim["model"])
    warnings = [f"models {', '.join(sorted(names))} have the same weights (sha256 {weights[:12]})"
                for weights, names in sorted(names_by_hash.items()) if len(names) > 1]
    last_seen: dict[str, str] = {}
    for run in history:
        last_seen |= run.get("weights", {})
    warnings += [f"{target}: weights changed since the last run that loaded it (sha256 {last_seen[target][:12]} -> {weights[:12]})"
                 for target, weights in sorted(now.items()) if target in last_seen and last_seen[target] != weights]
    return warnings
