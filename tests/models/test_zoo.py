"""The zoo: export -> import into an empty cache gives the same hashes and loads without
training; any mismatch refuses the import."""

import json
import shutil

import pytest

from harness.models.disk_cache import TENSORS, file_sha256
from harness.models.lm import TextLMSpec
from harness.models.zoo import MANIFEST, main
from tests.models.text_fixtures import tiny_spec, write_tiny_files


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(spec, zoo dir): a tiny model trained into one cache and exported."""
    root = tmp_path_factory.mktemp("zoo")
    spec = tiny_spec(write_tiny_files(root / "src"))
    spec.artifact(0, root / "trained")
    main(["export", str(root / "zoo"), "--cache-dir", str(root / "trained")])
    return spec, root


def test_export_then_import_gives_the_same_hashes_and_loads_without_training(exported, tmp_path, monkeypatch):
    spec, root = exported
    manifest = json.loads((root / "zoo" / MANIFEST).read_text())
    (row,) = manifest["models"]
    assert row["model"] == spec.name and row["seed"] == 0 and row["device"] == "cpu" and row["training_log"]
    assert len(manifest["data"]) == 3  # corpus, tokenizer, tokens
    main(["import", str(root / "zoo"), "--cache-dir", str(tmp_path)])
    for key in [row["key"], *manifest["data"]]:
        assert file_sha256(tmp_path / key / TENSORS) == file_sha256(root / "trained" / key / TENSORS)
    monkeypatch.setattr(TextLMSpec, "train_on", lambda *args: pytest.fail("trained instead of loading"))
    spec.load(0, tmp_path)


@pytest.mark.parametrize("tamper", ["weights", "manifest"])
def test_a_mismatch_refuses_the_import(exported, tmp_path, tamper):
    _, root = exported
    zoo = tmp_path / "zoo"
    shutil.copytree(root / "zoo", zoo)
    manifest = json.loads((zoo / MANIFEST).read_text())
    key = manifest["models"][0]["key"]
    if tamper == "weights":
        data = bytearray((zoo / key / TENSORS).read_bytes())
        data[-1] ^= 1
        (zoo / key / TENSORS).write_bytes(bytes(data))
    else:
        manifest["models"][0]["heldout_loss"] = 0.0
        (zoo / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(SystemExit, match=f"zoo import refused: {key}"):
        main(["import", str(zoo), "--cache-dir", str(tmp_path / "cache")])
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
