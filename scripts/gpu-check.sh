#!/usr/bin/env bash
# The default tier of the claims on the GPU, compared with a CPU run of the same claims: prints the
# claims whose verdict flipped and the measurements that drifted beyond RTOL (relative).
#
#   scripts/gpu-check.sh [CPU_CLAIMS_JSON] [-- pytest args]
#
# Without CPU_CLAIMS_JSON the CPU run is made first (CUDA hidden). Environment: WORKERS (xdist
# workers on the GPU run; default one per GPU, worker i on GPU i mod G), DTYPE (float32, or
# bfloat16 / float16), RTOL (0.05), OUT (where both reports go; default reports/gpu-check).
# Toy models train on the CPU in both runs, so both runs read the same weights: what differs is the
# device (and DTYPE) of the measurements. (The text-LM family of the opt-in `lm` tier trains on the
# GPU, under a key of its own: pass a CPU report of the same family to compare it.)
# Exit status: 2 without a usable GPU, 3 when a run did not finish (pytest usage error, crash,
# interruption), else 0 when both runs hold the same claims and nothing flipped, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
cpu_json=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then cpu_json=$1; shift; fi
[ "${1:-}" = "--" ] && shift
out=${OUT:-reports/gpu-check}
gpus=$(python -c "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)" || echo 0)
case "$gpus" in
  "" | *[!0-9]* | 0) echo "gpu-check: no CUDA device visible to torch ($(python -c 'import torch; print("torch", torch.__version__)' 2>&1))" >&2; exit 2 ;;
esac
nvidia-smi -L
workers=${WORKERS:-$gpus}
rm -rf "$out/gpu" "$out/compare.txt"
mkdir -p "$out"
finished() {  # pytest's status: 0 all passed, 1 some claims failed; anything else is a run that did not finish
  [ "$1" -le 1 ] || { echo "gpu-check: the $2 run did not finish (pytest exit $1)" >&2; exit 3; }
}
if [ -z "$cpu_json" ]; then
  echo "== CPU run (CUDA hidden)"
  start=$(date +%s)
  rm -rf "$out/cpu"
  CUDA_VISIBLE_DEVICES="" pytest claims -n "$(nproc)" -q -p no:cacheprovider --claims-report-dir "$out/cpu" "$@" | tail -3
  finished "${PIPESTATUS[0]}" CPU
  echo "CPU run: $(( $(date +%s) - start )) s"
  cpu_json=$out/cpu/claims.json
fi
echo "== GPU run: $workers workers, dtype ${DTYPE:-float32}"
start=$(date +%s)
pytest claims -n "$workers" -q -p no:cacheprovider --claims-report-dir "$out/gpu" --claims-dtype "${DTYPE:-float32}" "$@" | tail -3
finished "${PIPESTATUS[0]}" GPU
echo "GPU run: $(( $(date +%s) - start )) s"
echo "== compare (CPU -> GPU, rtol ${RTOL:-0.05})"
python -m harness.claims.report compare "$cpu_json" "$out/gpu/claims.json" --rtol "${RTOL:-0.05}" | tee "$out/compare.txt"
grep -q "^0 claims changed verdict" "$out/compare.txt" && ! grep -q "claims only in" "$out/compare.txt"
