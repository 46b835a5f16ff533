"""Sharding a claims run over a SLURM job array with ``submitit``, then merging the shards'
reports (``--claims-shard i/n``, ``harness.claims.merge``).

    python -m harness.claims.slurm --shards 4 --out reports/ --partition gpu --gpus 1 -- claims/ioi -n 4

Each array task runs ``pytest <args> --claims-shard i/4 --claims-report-dir <out>/shard-i`` in
this directory (a shared file system, and the same ``MI_CLAIMS_CACHE`` on every node, or each
shard trains its own models); the merged report goes to ``<out>``. ``--local`` runs the shards as
local processes (submitit's ``LocalExecutor``): the same code path, on one machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import submitit

from harness.claims.merge import merge


def run_shard(index: int, count: int, pytest_args: list[str], report_dir: Path, cwd: Path) -> int:
    """One array task: the shard's pytest run; its exit code."""
    command = [sys.executable, "-m", "pytest", *pytest_args, "--claims-shard", f"{index}/{count}",
               "--claims-report-dir", str(report_dir)]
    return subprocess.run(command, cwd=cwd).returncode


def run_sharded(executor: submitit.Executor, count: int, pytest_args: list[str], out: Path,
                cwd: Path | None = None) -> tuple[list[int], list[Path]]:
    """Submit ``count`` shards as one job array, wait, merge their reports into ``out``: (each
    shard's exit code, the merged report's paths). The shards run in ``cwd`` (default: here)."""
    cwd = cwd or Path.cwd()
    shard_dirs = [out / f"shard-{index}" for index in range(1, count + 1)]
    jobs = executor.map_array(run_shard, range(1, count + 1), [count] * count, [pytest_args] * count,
                              shard_dirs, [cwd] * count)
    codes = [job.result() for job in jobs]
    return codes, merge([d / "claims.json" for d in shard_dirs if (d / "claims.json").exists()], out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.claims.slurm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, required=True)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="the merged report (shards in OUT/shard-i)")
    parser.add_argument("--local", action="store_true", help="local processes instead of SLURM")
    parser.add_argument("--partition", default=None)
    parser.add_argument("--gpus", type=int, default=0, help="GPUs per shard")
    parser.add_argument("--cpus", type=int, default=4, help="CPUs per shard")
    parser.add_argument("--minutes", type=int, default=120, help="time limit per shard")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: pytest's arguments")
    args = parser.parse_args(argv)
    folder = args.out / "submitit"
    executor = submitit.AutoExecutor(folder, cluster="local" if args.local else None)
    executor.update_parameters(timeout_min=args.minutes, cpus_per_task=args.cpus, gpus_per_node=args.gpus,
                               **({"slurm_partition": args.partition} if args.partition else {}))
    codes, written = run_sharded(executor, args.shards, [a for a in args.pytest_args if a != "--"], args.out)
    print("\n".join([f"shard {i}: pytest exit {code}" for i, code in enumerate(codes, 1)] + [f"wrote {p}" for p in written]))
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
