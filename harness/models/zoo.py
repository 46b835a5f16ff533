"""The zoo: text language models trained here (``harness.models.lm``), packed from one disk cache
and unpacked into another with every hash verified, so that a lab trains once (on a GPU) and
shares the weights.

``python -m harness.models.zoo export DIR [--models lm-attn-1l,...]`` copies each trained model's
cache entry (weights with all checkpoints, meta) and the entries it was trained from (the
corpus, its tokenizer, its tokens) to ``DIR/<key>/``, and writes ``DIR/manifest.json``: per
model its recipe hash (of the spec and seed, without the data), corpus and tokenizer hashes,
weights sha256, training log, held-out loss and device. ``python -m harness.models.zoo import
DIR`` checks every entry (its key is the hash of its recipe, its files match their checksums and
the manifest) and refuses the whole import, with the entry and the mismatch, before writing
anything; then copies the entries into the cache under their keys, where ``spec.load`` finds
them (on a machine whose corpus has the same content hash: see the README).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

from harness.models.disk_cache import META, CorruptArtifact, artifact_key, default_cache_root, read_artifact

MANIFEST = "manifest.json"
MODEL_KIND = "text-lm"


class ZooMismatch(Exception):
    """An exported entry whose content does not match its key, checksums or manifest."""


def cache_metas(cache_root: Path) -> dict[str, dict[str, Any]]:
    """key -> meta of every entry in the cache (entries without a readable meta skipped)."""
    metas = {}
    for meta_file in sorted(Path(cache_root).glob(f"*/{META}")):
        try:
            metas[meta_file.parent.name] = json.loads(meta_file.read_text())
        except (OSError, ValueError):
            continue
    return metas


def recipe_sha256(payload: dict[str, Any]) -> str:
    """The hash of what a model is trained as, without the data it is trained on."""
    return artifact_key({k: v for k, v in payload.items() if k not in ("corpus_sha256", "tokenizer_sha256")})


def data_keys(metas: dict[str, dict[str, Any]], corpus: str, tokenizer: str) -> list[str]:
    """The cache keys of the corpus, tokenizer and token entries a model trained on."""
    def wanted(meta: dict[str, Any]) -> bool:
        payload = meta.get("payload", {})
        kind = payload.get("kind")
        return (
            (kind == "text-corpus" and meta.get("sha256") == corpus)
            or (kind == "bpe-tokenizer" and payload.get("corpus") == corpus and meta.get("tokenizer_sha256") == tokenizer)
            or (kind == "corpus-tokens" and payload.get("corpus") == corpus and payload.get("tokenizer") == tokenizer)
        )

    return [key for key, meta in metas.items() if wanted(meta)]


def manifest_row(key: str, meta: dict[str, Any]) -> dict[str, Any]:
    payload = meta["payload"]
    return {
        "key": key, "model": meta["model"], "seed": payload["seed"], "recipe_sha256": recipe_sha256(payload),
        "corpus_sha256": payload["corpus_sha256"], "tokenizer_sha256": payload["tokenizer_sha256"],
        "weights_sha256": meta["sha256"], "training_log": meta["losses"], "heldout_loss": meta["heldout_loss"],
        "train_seconds": meta["train_seconds"], "device": meta["device"],
    }


def export_zoo(cache_root: Path, out: Path, models: set[str] | None = None) -> dict[str, Any]:
    """Copy the trained models (all, or those named) and their data entries to ``out``."""
    metas = cache_metas(cache_root)
    rows = [manifest_row(key, meta) for key, meta in metas.items()
            if meta.get("payload", {}).get("kind") == MODEL_KIND and (models is None or meta["model"] in models)]
    if not rows:
        raise SystemExit(f"no trained text language model{' named ' + ', '.join(sorted(models)) if models else ''} "
                         f"in {cache_root}")
    data = sorted({k for row in rows for k in data_keys(metas, row["corpus_sha256"], row["tokenizer_sha256"])})
    out.mkdir(parents=True, exist_ok=True)
    for key in [row["key"] for row in rows] + data:
        read_artifact(Path(cache_root) / key)  # never export a corrupt entry
        shutil.copytree(Path(cache_root) / key, out / key, dirs_exist_ok=True)
    manifest = {"models": rows, "data": data}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def verify_entry(entry: Path) -> dict[str, Any]:
    """The meta of an exported entry whose files match their checksums and whose directory name
    is the hash of its recipe; else ``ZooMismatch``."""
    try:
        _, meta = read_artifact(entry)
    except CorruptArtifact as err:
        raise ZooMismatch(f"{entry.name}: {err}") from err
    if artifact_key(meta["payload"]) != entry.name:
        raise ZooMismatch(f"{entry.name}: its recipe hashes to {artifact_key(meta['payload'])}, not its key")
    return meta


def verify_zoo(zoo: Path) -> dict[str, Any]:
    """The manifest, once every entry and every manifest hash is checked."""
    manifest = json.loads((zoo / MANIFEST).read_text())
    metas = {key: verify_entry(zoo / key) for key in [row["key"] for row in manifest["models"]] + manifest["data"]}
    for row in manifest["models"]:
        expected = manifest_row(row["key"], metas[row["key"]])
        if wrong := sorted(k for k in expected if expected[k] != row[k]):
            raise ZooMismatch(f"{row['key']} ({row['model']} seed {row['seed']}): manifest differs in {', '.join(wrong)}")
        if len(data_keys({k: metas[k] for k in manifest["data"]}, row["corpus_sha256"], row["tokenizer_sha256"])) != 3:
            raise ZooMismatch(f"{row['key']} ({row['model']}): its corpus, tokenizer or tokens entry is missing")
    return manifest


def import_zoo(zoo: Path, cache_root: Path) -> dict[str, Any]:
    """Verify all of ``zoo``, then copy its entries into ``cache_root`` (atomically, each under
    the cache's lock; an entry already there is kept)."""
    manifest = verify_zoo(zoo)
    cache_root.mkdir(parents=True, exist_ok=True)
    for key in [row["key"] for row in manifest["models"]] + manifest["data"]:
        entry = cache_root / key
        with FileLock(str(entry) + ".lock"):
            if entry.exists():
                continue
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache_root))
            shutil.copytree(zoo / key, tmp, dirs_exist_ok=True)
            os.replace(tmp, entry)
        verify_entry(entry)
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.models.zoo", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("export", "import"))
    parser.add_argument("dir", type=Path)
    parser.add_argument("--cache-dir", type=Path, default=None, help="the disk cache (default: $MI_CLAIMS_CACHE or ~/.cache/mi-claims)")
    parser.add_argument("--models", default=None, help="export: comma-separated model names (default: all trained)")
    args = parser.parse_args(argv)
    cache_root = args.cache_dir or default_cache_root()
    try:
        if args.action == "export":
            manifest = export_zoo(cache_root, args.dir, set(args.models.split(",")) if args.models else None)
        else:
            manifest = import_zoo(args.dir, cache_root)
    except ZooMismatch as err:
        raise SystemExit(f"zoo {args.action} refused: {err}") from err
    for row in manifest["models"]:
        print(f"{args.action}ed {row['model']} seed {row['seed']}: weights {row['weights_sha256'][:12]}, "
              f"held-out loss {row['heldout_loss']:.3f}, trained on {row['device']}")


if __name__ == "__main__":
    main()
