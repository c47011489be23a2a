"""Import of a county's residents: rows per second and peak memory, beside a parse-only baseline.

    .venv/bin/python bench/import_residents.py                 # 400 000 rows, fresh SQLite file
    .venv/bin/python bench/import_residents.py --rows 50000    # a quicker run
    .venv/bin/python bench/import_residents.py --pg            # PostgreSQL as well (local server)

Setup (not timed): a fresh database with the demo region tree (172 communities, ~1,300
grids), 140 k households imported through the households import, and a residents CSV with
valid ID numbers (GB 11643 check digits), phones, names, grids, household numbers, heads
and special-group tags. Then each measured phase runs in its own process, so that its peak
RSS (ru_maxrss) is its own:

  parse     core.tabular.iter_table over the file (the baseline: reading, nothing else)
  read      the bare csv.reader over the decoded file (what the import's own CSV reading,
            ADR 0105, cannot go below: the import / read ratio is not flattered by a slow
            parse baseline)
  import    imports.services.import_run — validate every row, then write all of them
  reimport  the same file again: every row is found unchanged, nothing is written

The figure is import/parse (how many times the bare reading the whole import costs), with
rows/s and peak RSS against the budget (DESIGN.md §9: ≥ 10 k rows/s, < 1 GB).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_ROWS_PER_SECOND = 10_000
TARGET_PEAK_MB = 1024
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志文斌宇浩凯健俊帆"
    "帅旭宁龙林欣梅琳晨颖雪琴云莲真环丹蓉婷慧倩月莹晶佳嘉琪璐娅瑶怡悦思源博远鑫磊晓峰海波春生德福荣"
)
TAGS = ("独居", "空巢", "低保", "残疾", "退役军人", "党员")


def _phase_env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = db_url
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    env["LINLI_LOG_LEVEL"] = "WARNING"
    env["LINLI_DEBUG"] = "0"
    return env


def _django(db_url: str) -> None:
    os.environ.update(_phase_env(db_url))
    import django

    django.setup()


def _id_number(index: int) -> tuple[str, datetime.date]:
    from linli.core.pii import id_number_check_char

    birth = datetime.date(1935, 1, 1) + datetime.timedelta(days=index % 32000)
    body = f"340223{birth:%Y%m%d}{index // 32000:03d}"
    return body + id_number_check_char(body), birth


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def setup(db_url: str, rows: int, folder: Path) -> tuple[Path, Path]:
    """A fresh database with regions and households, and the residents file (not timed)."""
    _django(db_url)
    from django.core.management import call_command

    from linli.core.scoping import Scope
    from linli.imports import services
    from linli.regions.demo import build_demo_regions
    from linli.regions.models import Region

    call_command("migrate", verbosity=0)
    build_demo_regions()
    grids = list(Region.objects.filter(level="grid").values_list("code", flat=True))
    rng = random.Random(340223)
    households_file = folder / "households.csv"
    residents_file = folder / "residents.csv"
    # ~2.9 residents per household, as in the county (400 k residents, 140 k households).
    household_count = max(1, rows * 140 // 400)
    members: list[tuple[str, str]] = []
    with households_file.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["所在区划代码", "户编号", "地址", "户类型", "联系电话"])
        for index in range(household_count):
            grid = rng.choice(grids)
            number = f"H{index:06d}"
            writer.writerow([grid, number, f"南陵县示意路{index}号", "户籍", ""])
            members.append((grid, number))
    with residents_file.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "姓名",
                "身份证号",
                "性别",
                "出生日期",
                "手机号",
                "所在区划代码",
                "户编号",
                "与户主关系",
                "居住类型",
                "状态",
                "标签",
                "残疾类别",
                "残疾等级",
            ]
        )
        household_index = 0
        member_index = 0
        for index in range(rows):
            id_number, birth = _id_number(index)
            if household_index < len(members) and (member_index == 0 or rng.random() < 0.66):
                grid, number = members[household_index]
                relation = "户主" if member_index == 0 else rng.choice(("配偶", "子女", "父母"))
                member_index += 1
                if member_index >= 4:
                    household_index, member_index = household_index + 1, 0
            else:
                household_index, member_index = household_index + 1, 0
                grid, number, relation = rng.choice(grids), "", ""
            tags = ""
            kind = grade = ""
            if rng.random() < 0.08:
                chosen = rng.sample(TAGS, rng.randint(1, 2))
                if birth.year < 1940:  # 高龄: 80 and over (the tag's rule)
                    chosen.append("高龄")
                tags = "、".join(chosen)
                if "残疾" in tags:
                    kind, grade = "肢体", rng.choice(("一级", "二级", "三级", "四级"))
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" if rng.random() < 0.8 else ""
            writer.writerow(
                [
                    _name(rng),
                    id_number,
                    "",
                    "",
                    phone,
                    grid,
                    number,
                    relation,
                    "户籍",
                    "在册",
                    tags,
                    kind,
                    grade,
                ]
            )
    services.import_run(
        actor=Scope(is_global=True, can_write=True),
        kind="households",
        source=households_file,
    )
    return households_file, residents_file


class ChildPeak:
    """The largest resident memory of this process's children (the import's writer process),
    sampled from /proc five times a second: ru_maxrss of a child counts the parent's pages it
    shared for a moment between fork and exec."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.2):
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    fields = dict(
                        line.split(":", 1)
                        for line in status.read_text().splitlines()
                        if ":" in line
                    )
                except OSError:
                    continue
                if fields.get("PPid", "").strip() == me and "VmRSS" in fields:
                    self.peak_kb = max(self.peak_kb, int(fields["VmRSS"].split()[0]))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def phase(name: str, db_url: str, path: Path) -> dict[str, float]:
    """One measured phase, run in a process of its own (see `main`)."""
    _django(db_url)
    from linli.core import tabular
    from linli.core.scoping import Scope
    from linli.imports import services

    children = ChildPeak()
    started = time.perf_counter()
    result: dict[str, float] = {}
    if name == "parse":
        _headers, rows = tabular.iter_table(path)
        result["rows"] = sum(1 for _row in rows)
    elif name == "read":
        reader = csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""))
        result["rows"] = sum(1 for _row in reader) - 1
    else:
        report = services.import_run(
            actor=Scope(is_global=True, can_write=True), kind="residents", source=path
        )
        result.update(
            rows=report.total,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        )
    result["seconds"] = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["peak_mb"] = usage.ru_maxrss / 1024
    # The writer process (writer.py) works on the other core: its CPU and memory.
    writer = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["writer_cpu_seconds"] = writer.ru_utime + writer.ru_stime
    result["writer_peak_mb"] = children.stop()
    return result


def _run_phase(name: str, db_url: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--db", db_url, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=_phase_env(db_url),
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _fresh_pg(url: str) -> str:
    import psycopg

    base, _slash, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def bench(label: str, db_url: str, rows: int, folder: Path) -> list[str]:
    print(f"[{label}] 准备：区划树、{rows * 140 // 400} 户、{rows} 行居民文件…", flush=True)
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--setup",
            "--db",
            db_url,
            "--rows",
            str(rows),
            "--folder",
            str(folder),
        ],
        check=True,
        env=_phase_env(db_url),
        cwd=ROOT,
    )
    path = folder / "residents.csv"
    size_mb = path.stat().st_size / 2**20
    results = {
        name: _run_phase(name, db_url, path) for name in ("parse", "read", "import", "reimport")
    }
    parse = results["parse"]["seconds"]
    load = os.getloadavg()[0]
    lines = [f"## {label}: {rows} residents, CSV {size_mb:.1f} MB (load average {load:.1f})"]
    lines.append(
        "| phase | rows | wall s | rows/s | × parse | CPU s (+ writer) | peak MB (+ writer) |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        lines.append(
            f"| {name} | {int(r['rows'])} | {r['seconds']:.2f} | {r['rows'] / r['seconds']:,.0f} "
            f"| {r['seconds'] / parse:.1f} "
            f"| {r['cpu_seconds']:.1f} (+ {r['writer_cpu_seconds']:.1f}) "
            f"| {r['peak_mb']:.0f} (+ {r['writer_peak_mb']:.0f}) |"
        )
    imp = results["import"]
    rate = imp["rows"] / imp["seconds"]
    ok_rate = rate >= TARGET_ROWS_PER_SECOND
    ok_peak = all(r["peak_mb"] + r["writer_peak_mb"] < TARGET_PEAK_MB for r in results.values())
    lines.append(
        f"import/parse ratio {imp['seconds'] / parse:.1f} "
        f"(import/read {imp['seconds'] / results['read']['seconds']:.1f}); "
        f"import {rate:,.0f} rows/s "
        f"({'meets' if ok_rate else 'MISSES'} ≥ {TARGET_ROWS_PER_SECOND:,}), peak "
        f"{imp['peak_mb'] + imp['writer_peak_mb']:.0f} MB with the writer "
        f"({'meets' if ok_peak else 'MISSES'} < {TARGET_PEAK_MB} MB); "
        f"created {int(imp['created'])}, reimport unchanged {int(results['reimport']['unchanged'])}"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument(
        "--pg",
        nargs="?",
        const="postgres://postgres@127.0.0.1:5432/linli_bench_import",
        help="also on PostgreSQL (the database is dropped and created)",
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup(args.db, args.rows, Path(args.folder))
        return
    if args.phase:
        print(json.dumps(phase(args.phase, args.db, Path(args.file))))
        return
    with tempfile.TemporaryDirectory(prefix="linli-bench-import-") as tmp:
        folder = Path(tmp)
        lines = bench("SQLite", f"sqlite:///{folder / 'bench.sqlite3'}", args.rows, folder)
        if args.pg:
            pg_folder = folder / "pg"
            pg_folder.mkdir()
            lines += ["", *bench("PostgreSQL", _fresh_pg(args.pg), args.rows, pg_folder)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
