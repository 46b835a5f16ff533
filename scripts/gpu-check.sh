#!/usr/bin/env bash
# The default tier of the claims on the GPU, compared with a CPU run of the same claims: prints the
# claims whose verdict flipped and the measurements that drifted beyond RTOL (relative).
#
#   scripts/gpu-check.sh [CPU_CLAIMS_JSON] [-- pytest args]
#
# Without CPU_CLAIMS_JSON a CPU run (CUDA hidden) runs beside the GPU run. Environment: WORKERS (xdist
# workers on the GPU run; default one per GPU, worker i on GPU i mod G), DTYPE (float32, or
# bfloat16 / float16), CPU_WORKERS (the CPU run's; default the cores left), RTOL (0.05), OUT (where
# both reports and their logs go; default reports/gpu-check).
# Toy models train on the CPU in both runs, so both runs read the same weights: what differs is the
# device (and DTYPE) of the measurements. (Models with TrainConfig(device="best"), the `lm` and
# `replication` tiers', train on the GPU under a key of their own: pass a CPU report of the same
# tier to compare them.)
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
run() {  # run NAME WORKERS [pytest args]: a claims run into $out/NAME, its log in $out/NAME.log
  local name=$1 n=$2 start=$(date +%s)
  shift 2
  pytest claims -n "$n" -q -p no:cacheprovider --claims-report-dir "$out/$name" "$@" > "$out/$name.log" 2>&1
  local status=$?
  echo "$name run: $n workers, $(( $(date +%s) - start )) s, pytest exit $status; $(tail -1 "$out/$name.log")"
  return $status
}
echo "== GPU run: $workers workers, dtype ${DTYPE:-float32}"
rm -rf "$out/gpu"
if [ -z "$cpu_json" ]; then
  # both runs at once on one disk cache: a toy model is trained once, by whichever run needs it
  # first (under the cache's file lock), so the GPU run does not wait for the whole CPU run
  cpu_workers=${CPU_WORKERS:-$(( $(nproc) > workers ? $(nproc) - workers : 1 ))}
  echo "== CPU run at the same time (CUDA hidden): $cpu_workers workers"
  rm -rf "$out/cpu"
  CUDA_VISIBLE_DEVICES="" run cpu "$cpu_workers" "$@" &
  cpu_pid=$!
fi
run gpu "$workers" --claims-dtype "${DTYPE:-float32}" "$@"
gpu_status=$?
if [ -z "$cpu_json" ]; then
  wait $cpu_pid
  finished $? CPU
  cpu_json=$out/cpu/claims.json
fi
finished $gpu_status GPU
echo "== compare (CPU -> GPU, rtol ${RTOL:-0.05})"
python -m harness.claims.report compare "$cpu_json" "$out/gpu/claims.json" --rtol "${RTOL:-0.05}" | tee "$out/compare.txt"
grep -q "^0 claims changed verdict" "$out/compare.txt" && ! grep -q "claims only in" "$out/compare.txt"
