"""The numbered list of open problems ("200 Concrete Open Problems in Mechanistic
Interpretability", Nanda 2022) that every claim names."""

from __future__ import annotations

import functools
import re
from pathlib import Path

PROBLEM_ID = re.compile(r"^(\d+)\.(\d+)$")


def parse_problems(text: str) -> dict[str, tuple[str, str]]:
    """``{id: (section, description)}`` from the list: a number line, then its description;
    any other line before a number names the section.

    The list's numbers went through a float once, so "1.10" reads "1.1": a number not larger
    than the previous one in its section gets its trailing zero back.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    problems: dict[str, tuple[str, str]] = {}
    last: dict[str, int] = {}
    section = ""
    i = 0
    while i < len(lines):
        match = PROBLEM_ID.match(lines[i])
        if not match:
            section = lines[i]
            i += 1
            continue
        major, minor = match.group(1), int(match.group(2))
        if minor <= last.get(major, 0):
            minor *= 10
        last[major] = minor
        description = lines[i + 1] if i + 1 < len(lines) else ""
        problems[f"{major}.{minor}"] = (section, description)
        i += 2
    return problems


@functools.cache
def known_problems(path: Path = Path(__file__).parents[2] / "catalog" / "open_problems.txt") -> dict[str, tuple[str, str]]:
    return parse_problems(path.read_text())
