#!/usr/bin/env bash
# Regenerate requirements.lock: every direct and transitive dependency of the project (dev, tracr and slurm
# extras included) but torch, pinned with hashes. torch stays out: the README installs torch==2.13.0 first
# (the CPU build on our machines, the build of the user's choice elsewhere); the lock holds the
# CPU build's own dependencies, so that it pulls no CUDA libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
torch_pin=torch==2.13.0
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
python -m pip install -q uv
python -m pip download -q --no-deps --only-binary=:all: -d "$wheels" "$torch_pin"
python -m uv pip compile pyproject.toml --extra dev --extra tracr --extra slurm --generate-hashes --python-version 3.11 \
  --find-links "$wheels" --no-emit-package torch --custom-compile-command "scripts/lock.sh" \
  -o requirements.lock
