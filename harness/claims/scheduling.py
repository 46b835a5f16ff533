"""xdist scheduling that keeps every claim on one (model, seed) on one worker, so that the worker
loads (or trains) that model once and no other worker loads it at all.

The group is read from the claim's own node id (``...[toy-attn-2l-seed0]``), not from
``xdist_group`` marks: xdist passes those marks to its scheduler by rewriting ``item._nodeid``
on the workers, which pytest 9.2 no longer reads (``Node.nodeid`` comes from ``Node._id``), so
with pytest 9.2 and xdist 3.8 the marks group nothing.
"""

from __future__ import annotations

import re

from xdist.scheduler import LoadGroupScheduling

# a claim's parameters are its target's id, "<model>-seed<N>" (Target.id)
CLAIM_TARGET = re.compile(r"\[(?P<target>[^\[\]]+-seed\d+)\]$")


class TargetScheduling(LoadGroupScheduling):
    """xdist's group scheduling (a group goes whole to one worker) with a claim's target as its
    group. Other tests keep ``loadgroup``'s rule: their ``xdist_group`` if xdist could attach
    it to the node id, else a group of their own."""

    def _split_scope(self, nodeid: str) -> str:
        match = CLAIM_TARGET.search(nodeid)
        return match["target"] if match else super()._split_scope(nodeid)
