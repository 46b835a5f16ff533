"""harness.models.disk_cache: content-addressed, atomic, checksummed, built once across processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from harness.models import disk_cache
from harness.models.disk_cache import META, TENSORS, artifact_key, cached_artifact

PAYLOAD = {"kind": "test", "arch": {"d_model": 4}, "seed": 0}


class CountingBuild:
    """A build function that counts its calls."""

    def __init__(self, scale: float = 1.0):
        self.calls, self.scale = 0, scale

    def __call__(self):
        self.calls += 1
        return {"w": torch.arange(6.0).reshape(2, 3) * self.scale, "b": torch.ones(3)}, {"losses": [2.5, 1.25]}


def entry_of(root: Path, payload=PAYLOAD) -> Path:
    return root / artifact_key(payload)


def assert_fresh(tensors, meta, payload=PAYLOAD):
    assert torch.equal(tensors["w"], torch.arange(6.0).reshape(2, 3)) and torch.equal(tensors["b"], torch.ones(3))
    assert meta["losses"] == [2.5, 1.25] and meta["payload"] == payload and meta["key"] == artifact_key(payload)


def test_miss_builds_and_stores_then_hit_reads_without_building(tmp_path):
    build = CountingBuild()
    assert_fresh(*cached_artifact(tmp_path, PAYLOAD, build))
    assert_fresh(*cached_artifact(tmp_path, PAYLOAD, build))
    assert build.calls == 1
    assert sorted(p.name for p in entry_of(tmp_path).iterdir()) == [META, TENSORS]
    other = CountingBuild(scale=2.0)
    tensors, _ = cached_artifact(tmp_path, {**PAYLOAD, "seed": 1}, other)
    assert other.calls == 1 and tensors["w"][1, 2] == 10.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=5), json_values, min_size=1, max_size=5))
def test_key_depends_on_content_not_on_key_order(payload):
    reordered = dict(reversed(list(payload.items())))
    assert artifact_key(reordered) == artifact_key(payload)
    assert artifact_key({**payload, "code_version": "other"}) != artifact_key(payload)


def test_a_build_that_raises_leaves_no_entry_and_no_temp_dir(tmp_path):
    def failing_build():
        raise RuntimeError("training diverged")

    with pytest.raises(RuntimeError, match="diverged"):
        cached_artifact(tmp_path, PAYLOAD, failing_build)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []
    build = CountingBuild()
    assert_fresh(*cached_artifact(tmp_path, PAYLOAD, build))
    assert build.calls == 1


def test_a_crash_between_the_two_files_leaves_nothing_readable(tmp_path, monkeypatch):
    """Interrupted after the tensors are written and before meta.json: no entry, no temp dir."""

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(disk_cache, "file_sha256", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cached_artifact(tmp_path, PAYLOAD, CountingBuild())
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []
    monkeypatch.undo()
    build = CountingBuild()
    assert_fresh(*cached_artifact(tmp_path, PAYLOAD, build))
    assert build.calls == 1


def test_a_temp_dir_left_by_a_killed_writer_is_never_read(tmp_path):
    """A SIGKILL skips the clean-up: the half-written temp dir sits beside the entry's name."""
    key = artifact_key(PAYLOAD)
    leftover = tmp_path / f".{key}.abc123"
    leftover.mkdir()
    (leftover / TENSORS).write_bytes(b"half a file")
    build = CountingBuild()
    assert_fresh(*cached_artifact(tmp_path, PAYLOAD, build))
    assert build.calls == 1


def flip_byte(path: Path, where: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def edit_meta(path: Path) -> None:
    meta = json.loads(path.read_text())
    meta["losses"] = [2.5, 0.25]  # readable JSON, wrong content
    path.write_text(json.dumps(meta))


CORRUPTIONS = {
    "flip a tensor byte": lambda entry: flip_byte(entry / TENSORS),
    "flip a header byte": lambda entry: flip_byte(entry / TENSORS, where=0.02),
    "truncate tensors": lambda entry: truncate(entry / TENSORS),
    "empty tensors": lambda entry: (entry / TENSORS).write_bytes(b""),
    "delete tensors": lambda entry: (entry / TENSORS).unlink(),
    "delete meta.json": lambda entry: (entry / META).unlink(),
    "truncate meta.json": lambda entry: truncate(entry / META),
    "meta.json not an object": lambda entry: (entry / META).write_text("[]"),
    "edit a value in meta.json": lambda entry: edit_meta(entry / META),
    "flip meta.json's first byte": lambda entry: flip_byte(entry / META, where=0.0),
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS.values()), ids=list(CORRUPTIONS))
def test_corruption_is_detected_warned_and_rebuilt(tmp_path, corrupt):
    cached_artifact(tmp_path, PAYLOAD, CountingBuild())
    corrupt(entry_of(tmp_path))
    build = CountingBuild()
    with pytest.warns(RuntimeWarning, match=r"mi-claims cache: .*rebuilding"):
        assert_fresh(*cached_artifact(tmp_path, PAYLOAD, build))
    assert build.calls == 1
    assert_fresh(*cached_artifact(tmp_path, PAYLOAD, build))  # the rebuilt entry is sound
    assert build.calls == 1


def test_entry_written_before_meta_had_its_own_checksum_is_still_read(tmp_path):
    cached_artifact(tmp_path, PAYLOAD, CountingBuild())
    meta_path = entry_of(tmp_path) / META
    meta = json.loads(meta_path.read_text())
    del meta["meta_sha256"]
    meta_path.write_text(json.dumps(meta))
    build = CountingBuild()
    assert_fresh(*cached_artifact(tmp_path, PAYLOAD, build))
    assert build.calls == 0


WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path

    import torch
    from harness.models.disk_cache import cached_artifact

    root, marker, go = map(Path, sys.argv[1:4])

    def build():
        with open(marker, "a") as f:  # one line per build, from any process
            f.write(f"{os.getpid()}\\n")
        time.sleep(0.5)  # long enough for the other process to reach the lock
        return {"w": torch.arange(3.0)}, {"built_by": os.getpid()}

    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    tensors, meta = cached_artifact(root, {"kind": "concurrency-test"}, build)
    print(json.dumps({"w": tensors["w"].tolist(), "built_by": meta["built_by"], "me": os.getpid()}), flush=True)
    """
)


def test_two_processes_asking_for_the_same_key_build_it_once(tmp_path):
    script, marker, go = tmp_path / "worker.py", tmp_path / "builds.txt", tmp_path / "go"
    script.write_text(WORKER)
    root = tmp_path / "cache"
    procs = [
        subprocess.Popen([sys.executable, str(script), str(root), str(marker), str(go)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        assert [p.stdout.readline().strip() for p in procs] == ["ready", "ready"]  # both imported
        go.touch()  # start both at once
        outputs = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0]
    builders = marker.read_text().split()
    assert len(builders) == 1
    assert all(out["w"] == [0.0, 1.0, 2.0] and out["built_by"] == int(builders[0]) for out in outputs)
    assert {out["me"] for out in outputs} == {p.pid for p in procs}  # one built, the other waited and read
