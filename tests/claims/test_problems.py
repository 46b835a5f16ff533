"""harness.claims.problems: the open-problems list every claim names."""

from __future__ import annotations

import collections

from hypothesis import given
from hypothesis import strategies as st

from harness.claims.problems import PROBLEM_ID, known_problems, parse_problems


def test_real_list_has_every_number_once_with_trailing_zeros_restored():
    problems = known_problems()
    minors = collections.defaultdict(list)
    for pid in problems:
        major, minor = pid.split(".")
        minors[major].append(int(minor))
    assert {m: len(v) for m, v in minors.items()} == {"1": 23, "2": 38, "3": 33, "4": 45, "5": 31}
    assert all(v == list(range(1, len(v) + 1)) for v in minors.values())
    assert problems["3.16"][0] == "Harder problems"
    assert "induction heads" in problems["3.16"][1]
    assert problems["1.10"][0] == "How do larger models differ?"  # written "1.1" in the list


def float_mangled(major: int, minor: int) -> str:
    """How the list writes a number after it went through a float: 1.10 -> "1.1"."""
    return str(float(f"{major}.{minor}"))


line = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30).filter(
    lambda s: s.strip() and not PROBLEM_ID.match(s.strip())
)


@given(
    st.lists(
        st.tuples(line, st.lists(line, min_size=1, max_size=25)),  # (section, descriptions)
        min_size=1,
        max_size=4,
    )
)
def test_parse_problems_round_trips_a_float_mangled_list(sections):
    expected, text = {}, []
    for major, (section, descriptions) in enumerate(sections, start=1):
        for minor, description in enumerate(descriptions, start=1):
            expected[f"{major}.{minor}"] = (section.strip(), description.strip())
            text += [section, float_mangled(major, minor), description, ""]
    assert parse_problems("\n".join(text)) == expected
