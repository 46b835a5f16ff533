"""pytest plugin for the stand-in runs of the section-1 claims (``-p tests.claims.lm_standins``):
the family's names (``lm-attn-1l`` ...) load their CPU stand-ins (``catalog.lm.STANDINS``, d_model
32, 300 steps), so that every claim on the family runs here in seconds. Never used for a reported
run: the stand-ins' verdicts mean nothing."""

import dataclasses

from catalog.lm import FAMILY, STANDINS
from harness.models.registry import MODELS

for _name in FAMILY:
    MODELS._items[_name] = dataclasses.replace(STANDINS[_name.replace("lm-", "standin-")], name=_name)
