"""``--claims-shard i/n``: run shard i of n of the collected tests, so that n machines (a SLURM
job array, ``harness.claims.slurm``) share one suite, and ``python -m harness.claims.report merge``
joins their reports.

Claims are dealt out by whole (model, seed) groups, so each model is loaded or trained on one
shard only; other tests by module. The groups are sorted and dealt round-robin: every shard
computes the same assignment from the same collection, with no coordination.
"""

from __future__ import annotations

import pytest

from harness.claims.scheduling import CLAIM_TARGET


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> ``(i, n)``, 1 <= i <= n."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--claims-shard {text!r}: expected i/n, e.g. 1/4") from None
    if not 1 <= index <= count:
        raise pytest.UsageError(f"--claims-shard {text!r}: i must be between 1 and n")
    return index, count


def group_of(nodeid: str) -> str:
    """A claim's (model, seed) target id; the module of any other test."""
    match = CLAIM_TARGET.search(nodeid)
    return match["target"] if match else nodeid.split("::")[0]


def shard_of_groups(groups: set[str], count: int) -> dict[str, int]:
    """Shard number (1-based) of each group: sorted, dealt round-robin."""
    return {group: k % count + 1 for k, group in enumerate(sorted(groups))}


def select_shard(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the items of the other shards (in place), as ``-k`` does."""
    if not (option := config.getoption("claims_shard")):
        return
    index, count = parse_shard(option)
    shards = shard_of_groups({group_of(item.nodeid) for item in items}, count)
    kept = [item for item in items if shards[group_of(item.nodeid)] == index]
    config.hook.pytest_deselected(items=[item for item in items if shards[group_of(item.nodeid)] != index])
    items[:] = kept
