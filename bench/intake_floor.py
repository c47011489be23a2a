"""The floor under case intake on this machine: the intake's own statement without the framework.

    .venv/bin/python bench/intake_floor.py                 # PostgreSQL, 50 clients, 20 s runs
    .venv/bin/python bench/intake_floor.py --rounds 3 --seconds 30

Issue 4 part 9 asks intake for ≥ 40 % of the bare endpoint's throughput and p99 < 100 ms;
ADR 0113 keeps the intake inside Django, django-ninja and the service. To tell what any path
could reach here, this bench serves the platform with one more route (`POST /floor`, see
`bench/intake_floor_wsgi.py`: the statement a real report sends, nothing else) and, on the
same server in the same run, alternates `GET /healthz` (bare), `POST /floor` and the real
`POST /api/cases/`, printing each with its share of the bare endpoint. Same database, server
shape, clients and CPU accounting as `bench/case_intake.py`, whose pieces it reuses.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
from pathlib import Path

import case_intake as intake_bench  # bench/ is the script's own folder, first on sys.path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="linli-floor-"))
    env, setup = intake_bench._prepare("postgres", workdir, "full")
    env["FLOOR_GRID"] = setup["grids"][0]
    server = intake_bench.Server(
        env,
        intake_bench._free_port(),
        workdir / "server.log",
        app="bench.intake_floor_wsgi:application",
    )
    report = intake_bench._intake_maker(setup["token"], setup["grids"], random.Random(1))

    def floor() -> bytes:
        return report().replace(b"POST /api/cases/ ", b"POST /floor ", 1)

    runs = (
        ("GET /healthz (bare)", lambda: intake_bench._get("/healthz")),
        ("POST /floor", floor),
        ("POST /api/cases/", report),
    )
    print(
        f"intake floor — PostgreSQL, {args.clients} clients, {args.seconds:g} s per run, "
        f"gunicorn 2 workers × 4 threads, {args.rounds} rounds"
    )
    failed = False
    server.start()
    try:
        assert server.process is not None
        for warm in (floor, report):
            asyncio.run(intake_bench._load(server.port, "warm-up", warm, 10, 2))
        for round_no in range(1, args.rounds + 1):
            bare = 0.0
            for name, make in runs:
                with intake_bench.CpuMeter(server.process.pid) as cpu:
                    result = asyncio.run(
                        intake_bench._load(server.port, name, make, args.clients, args.seconds)
                    )
                bare = bare or result.throughput
                share = f"   {100 * result.throughput / bare:.0f} % of bare" if bare else ""
                print(f"round {round_no}" + intake_bench._line(result) + share)
                print(cpu.line(len(result.latencies)))
                failed = failed or bool(result.errors)
    finally:
        server.stop()
        if failed:
            print("server log:", (workdir / "server.log").read_text()[-3000:])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
