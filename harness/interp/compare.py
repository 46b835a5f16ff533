"""The comparisons a threshold can be stated with, by name ("<", ">=", ...)."""

from __future__ import annotations

import operator
from typing import Callable

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
