"""``mark_slow_beyond``: which collected claims it marks slow."""

from pathlib import Path
from types import SimpleNamespace

from harness.claims.claim import Target
from harness.claims.shared import mark_slow_beyond


def item(path: str, seed: int):
    marks = []
    return SimpleNamespace(path=Path(path), callspec=SimpleNamespace(params={"target": Target("m", seed)}),
                           add_marker=marks.append, marks=marks)


def test_a_folder_or_a_single_file_marks_its_claims_beyond_the_fast_seeds():
    items = [item("/c/area/test_a.py", 1), item("/c/area/test_b.py", 1), item("/c/area/test_a.py", 0), item("/c/other/test_a.py", 1)]
    mark_slow_beyond(items, Path("/c/area/test_a.py"), {0})
    assert [len(i.marks) for i in items] == [1, 0, 0, 0]
    mark_slow_beyond(items, Path("/c/area"), {0})
    assert [len(i.marks) for i in items] == [2, 1, 0, 0]
