"""Case intake against the real server, beside a bare JSON endpoint in the same run.

    .venv/bin/python bench/case_intake.py                  # SQLite, 50 clients, 30 s each
    .venv/bin/python bench/case_intake.py --db postgres    # PostgreSQL (DATABASE_URL below)
    .venv/bin/python bench/case_intake.py --seconds 10 --durability-only
    .venv/bin/python bench/case_intake.py --workers 1 --threads 8   # another server shape

What it does, on a fresh database of its own (never the demo database):
1. migrates, builds the demo county (172 communities, ~1,300 grids) and an API token;
2. starts gunicorn as scripts/serve does (2 workers × 4 threads, unless told otherwise);
3. drives 50 concurrent keep-alive clients for N seconds at `GET /healthz` (the bare JSON
   endpoint: the server's ceiling on this machine), then at `POST /api/cases/` (intake:
   token auth, validation, case + event rows, one fsync'd commit) and prints
   throughput and p50/p99 side by side, with the ratio (target: intake ≥ 40 % of the bare
   endpoint, p99 < 100 ms);
4. durability: drives intake again, `kill -9`s every server process mid-load, restarts the
   server and checks that every case answered 201 is there.

The load generator is a small asyncio HTTP/1.1 client (no httpx): on a 2-core machine the
client shares the CPU with the server, and a heavy client would measure itself.

The two changes ADR 0078 proposed outside the cases module are in the tree now (persistent
SQLite connections in the settings, the API-token lookup cached per process for 30 s in
`linli/accounts/tokens.py`), so the bench measures them as the platform runs; the
`--proposed` settings overlay that measured them beforehand is gone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "linli_bench_cases"

SETUP = r"""
import django, json
django.setup()
from linli.accounts.models import User
from linli.accounts.services import api_token_create
from linli.regions.demo import build_demo_regions
from linli.regions.models import Region
build_demo_regions()
admin = User.objects.filter(username="bench").first()
admin = admin or User.objects.create_superuser("bench", password="bench-pass-1")
county = Region.objects.get(level="county")
_, raw = api_token_create(actor=admin, name="bench", region=county, can_write=True)
grids = list(Region.objects.filter(level="grid").values_list("code", flat=True))
print(json.dumps({"token": raw, "grids": grids}))
"""

COUNT = r"""
import django, json, sys
django.setup()
from linli.cases.models import Case
wanted = json.load(sys.stdin)
present = set(Case.objects.filter(pk__in=wanted).values_list("pk", flat=True))
missing = sorted(set(wanted) - present)[:20]
print(json.dumps({"present": len(present), "missing": missing, "total": Case.objects.count()}))
"""

CATEGORIES = (
    "env-garbage",
    "env-dumping",
    "muni-light",
    "muni-manhole",
    "road-damage",
    "fire-passage",
    "property-elevator",
    "other",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def _database_backends() -> list[int]:
    """The PostgreSQL backends serving the bench database (named in their command line)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"postgres: ") and PG_BENCH_DB.encode() in cmdline:
                pids.append(int(entry.name))
    return pids


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


@dataclass
class CpuMeter:
    """Where the machine's CPUs went during one load run: the server's processes, the
    database's backends, this load generator, and everything else on the machine."""

    server_root: int
    start: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, float]:
        busy, total = _machine_busy()
        return {
            "server": sum(_cpu_seconds(p) for p in _descendants(self.server_root)),
            "database": sum(_cpu_seconds(p) for p in _database_backends()),
            "client": time.process_time(),
            "busy": busy,
            "total": total,
        }

    def __enter__(self) -> CpuMeter:
        self.start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        self.used = {k: end[k] - self.start[k] for k in end}

    def line(self, requests: int) -> str:
        if not requests or not self.used:
            return ""
        per = {k: 1000 * v / requests for k, v in self.used.items()}
        others = per["busy"] - per["server"] - per["database"] - per["client"]
        capacity = self.used["total"] or 1
        return (
            f"    CPU per request: server {per['server']:.2f} ms, database backends "
            f"{per['database']:.2f} ms, load generator {per['client']:.2f} ms, other processes "
            f"{max(0.0, others):.2f} ms; machine {100 * self.used['busy'] / capacity:.0f} % busy"
        )


@dataclass
class Server:
    env: dict[str, str]
    port: int
    log: Path
    workers: int = 2
    threads: int = 4
    app: str = "config.wsgi:application"
    process: subprocess.Popen | None = None

    def start(self) -> None:
        # The server's errors go to a file: a pipe nobody reads fills up and stalls the server,
        # and reading it while the server lives blocks the bench.
        with self.log.open("ab") as log:
            self.process = self._spawn(log)
        # On a loaded 2-core machine booting Django in each worker can take well over 30 s.
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(
                        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    )
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start: " + self.log.read_text()[-2000:])

    def _spawn(self, log) -> subprocess.Popen:
        return subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                self.app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--keep-alive",
                "5",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)  # master and every worker, no goodbye
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    acknowledged: list[int] = field(default_factory=list)
    seconds: float = 0.0
    client_means: list[float] = field(default_factory=list)  # each client's mean latency, s

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def _client(
    port: int, make_request, result: Result, stop_at: float, collect_ids: bool
) -> None:
    reader = writer = None
    mine: list[float] = []
    while time.perf_counter() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            request = make_request()
            start = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("closed")
            status = int(status_line.split()[1])
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
                elif name.lower() == "connection" and "close" in value.lower():
                    close = True
            body = await reader.readexactly(length) if length else b""
            elapsed = time.perf_counter() - start
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status in (200, 201):
                result.latencies.append(elapsed)
                mine.append(elapsed)
                if collect_ids and status == 201:
                    result.acknowledged.append(json.loads(body)["id"])
            else:
                result.errors += 1
            if close:
                writer.close()
                writer = None
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError):
            result.errors += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()
    if mine:
        result.client_means.append(sum(mine) / len(mine))


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n".encode()


def _intake_maker(token: str, grids: list[str], rng: random.Random):
    counter = iter(range(10**9))

    def make() -> bytes:
        n = next(counter)
        body = json.dumps(
            {
                "category_code": rng.choice(CATEGORIES),
                "description": f"压测上报第 {n} 号问题：小区门口路灯不亮，夜间出行不便",
                "region_code": rng.choice(grids),
                "reporter_name": "压测",
                "reporter_phone": "13800000000",
            },
            ensure_ascii=False,
        ).encode()
        return (
            f"POST /api/cases/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    return make


async def _load(
    port: int,
    name: str,
    make_request,
    clients: int,
    seconds: float,
    collect_ids: bool = False,
    on_tick=None,
) -> Result:
    result = Result(name)
    start = time.perf_counter()
    stop_at = start + seconds
    tasks = [
        asyncio.create_task(_client(port, make_request, result, stop_at, collect_ids))
        for _ in range(clients)
    ]
    if on_tick is not None:
        await on_tick(result)
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - start
    return result


def _prepare(db: str, workdir: Path, synchronous: str) -> tuple[dict[str, str], dict]:
    settings = "config.settings.base" if synchronous == "full" else "bench.settings_sqlite_normal"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "LINLI_DEBUG": "0",
        "LINLI_LOG_LEVEL": "WARNING",
        "LINLI_DOWNLOAD_DIR": str(workdir / "downloads"),
        "LINLI_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
            conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(
        [PYTHON, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return env, json.loads(out.strip().splitlines()[-1])


def _line(r: Result) -> str:
    return (
        f"  {r.name:<22} {r.throughput:8.0f} req/s   p50 {r.pct(50):6.1f} ms"
        f"   p99 {r.pct(99):6.1f} ms"
        f"   ok {len(r.latencies):6d}   errors {r.errors}" + _spread(r)
    )


def _spread(r: Result) -> str:
    """The fastest and slowest client's mean latency: a keep-alive connection stays with the
    gunicorn worker that accepted it, so an uneven split of the clients between the workers
    shows here (e.g. 8 and 42 clients: 28 and 150 ms), not in the throughput."""
    if not r.client_means:
        return ""
    means = sorted(r.client_means)
    return f"   clients' mean {1000 * means[0]:.0f}–{1000 * means[-1]:.0f} ms"


def run(
    db: str,
    clients: int,
    seconds: float,
    durability_only: bool,
    synchronous: str,
    workers: int = 2,
    threads: int = 4,
) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    env, setup = _prepare(db, workdir, synchronous if db == "sqlite" else "full")
    server = Server(env, _free_port(), workdir / "server.log", workers, threads)
    rng = random.Random(1)
    intake = _intake_maker(setup["token"], setup["grids"], rng)
    failures = 0
    label = f"sqlite (synchronous={synchronous.upper()})" if db == "sqlite" else db
    print(
        f"case intake benchmark — database {label}, {clients} clients, {seconds:g} s per run, "
        f"gunicorn {workers} workers × {threads} threads, {os.cpu_count()} CPUs shared with "
        f"the load generator (and whatever else runs on the machine: see 'other processes')"
    )
    server.start()
    try:
        if not durability_only:
            asyncio.run(_load(server.port, "warm-up", intake, 10, 2))
            assert server.process is not None
            with CpuMeter(server.process.pid) as bare_cpu:
                bare = asyncio.run(
                    _load(
                        server.port,
                        "GET /healthz (bare)",
                        lambda: _get("/healthz"),
                        clients,
                        seconds,
                    )
                )
            with CpuMeter(server.process.pid) as cases_cpu:
                cases = asyncio.run(
                    _load(server.port, "POST /api/cases/", intake, clients, seconds)
                )
            print(_line(bare))
            print(bare_cpu.line(len(bare.latencies)))
            print(_line(cases))
            print(cases_cpu.line(len(cases.latencies)))
            ratio = cases.throughput / bare.throughput if bare.throughput else 0
            print(
                f"  intake / bare throughput: {100 * ratio:.0f} %  (target ≥ 40 %);  intake p99 "
                f"{cases.pct(99):.1f} ms (target < 100 ms)"
            )
            failures += int(ratio < 0.4) + int(cases.pct(99) >= 100) + int(cases.errors > 0)

        # durability: kill -9 the server in the middle of the load
        async def killer(result: Result) -> None:
            await asyncio.sleep(min(5.0, seconds / 2))
            server.kill9()

        loaded = asyncio.run(
            _load(
                server.port,
                "intake until kill -9",
                intake,
                clients,
                min(10.0, seconds),
                collect_ids=True,
                on_tick=killer,
            )
        )
        server.start()
        check = subprocess.run(
            [PYTHON, "-c", COUNT],
            cwd=ROOT,
            env=env,
            input=json.dumps(loaded.acknowledged),
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(check.stdout.strip().splitlines()[-1])
        print(
            f"  durability: {len(loaded.acknowledged)} cases answered 201 before kill -9; "
            f"{found['present']} present after restart; missing {found['missing'] or 'none'} "
            f"({found['total']} cases in the database)"
        )
        failures += int(found["present"] != len(loaded.acknowledged) or not loaded.acknowledged)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # the run's database and overlay
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--durability-only", action="store_true")
    parser.add_argument(
        "--sqlite-synchronous",
        choices=("full", "normal"),
        default="full",
        help="full: the platform's setting; normal: WAL's crash-safe (not power-safe) mode",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (serve: 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (serve: 4)")
    args = parser.parse_args()
    failures = 0
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        failures += run(
            db,
            args.clients,
            args.seconds,
            args.durability_only,
            args.sqlite_synchronous,
            args.workers,
            args.threads,
        )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
