"""xdist scheduling that keeps the claims on one (model, seed) together, so that a worker loads
(or trains) each model once.

- A model trained here (a ``TrainedSpec``) is one group: the worker that trains it on a cold
  cache is the only one that waits for it.
- A pretrained model (loaded, never trained: SmolLM2, hub models, compiled tracr models) is one
  group per claims area (``claims/<area>/``): its areas run on several workers at once, each
  loading the model once, and an area's shared ``per_target`` measurements stay on one worker.
  On 2 cores this keeps both busy where one worker would run every SmolLM2 claim alone.

The group is read from the claim's own node id (``...[toy-attn-2l-seed0]``, or
``...[smollm2-135m-seed0-prompts1]`` for prompt-set seeds), not from ``xdist_group`` marks:
xdist passes those marks to its scheduler by rewriting ``item._nodeid`` on the workers, which
pytest 9.2 no longer reads (``Node.nodeid`` comes from ``Node._id``), so with pytest 9.2 and
xdist 3.8 the marks group nothing.
"""

from __future__ import annotations

import re

from xdist.scheduler import LoadGroupScheduling

from harness.models.registry import get_model_spec
from harness.models.trained import TrainedSpec

# a claim's parameters are its target's id, "<model>-seed<N>" (Target.id), and a prompt-set seed
CLAIM_TARGET = re.compile(r"\[(?P<target>(?P<model>[^\[\]]+)-seed\d+)(?:-prompts\d+)?\]$")
AREA = re.compile(r"^claims/(?P<area>[^/]+)/")


def claim_group(nodeid: str) -> str | None:
    """The scheduling group of a claim's node id (``None`` for other tests)."""
    match = CLAIM_TARGET.search(nodeid)
    if match is None:
        return None
    try:
        trained = isinstance(get_model_spec(match["model"]), TrainedSpec)
    except KeyError:  # not registered in this process: nothing to train
        trained = False
    if trained:
        return match["target"]
    area = AREA.match(nodeid)
    return f"{match['target']}@{area['area'] if area else 'elsewhere'}"


class TargetScheduling(LoadGroupScheduling):
    """xdist's group scheduling (a group goes whole to one worker) with ``claim_group`` as the
    group. Other tests keep ``loadgroup``'s rule: their ``xdist_group`` if xdist could attach it
    to the node id, else a group of their own."""

    def _split_scope(self, nodeid: str) -> str:
        return claim_group(nodeid) or super()._split_scope(nodeid)
