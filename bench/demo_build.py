"""Time `manage.py demo`'s registry build (DESIGN.md §9: full < 3 min, small < 10 s).

    .venv/bin/python bench/demo_build.py [--scale small|full|both] [--seed N]

Each scale is built into a fresh SQLite file under a temporary directory (migrations and
the region tree first, not timed). Printed beside it, measured in the same run: the write
path of the build (`Writer`, executemany with prepared values) against Django's
`bulk_create` on the same 20,000 resident rows, as rows per second and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=["small", "full", "both"], default="both")
    parser.add_argument("--seed", type=int, default=340223)
    args = parser.parse_args()
    scales = ["small", "full"] if args.scale == "both" else [args.scale]
    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    try:
        run(args, scales, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, scales: list[str], workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from linli.demo import registry
    from linli.people.models import Household, Resident
    from linli.regions.demo import build_demo_regions

    call_command("migrate", verbosity=0)
    build_demo_regions(seed=args.seed)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    clean = (workdir / "bench.sqlite3").read_bytes()
    for scale in scales:
        connection.close()
        for suffix in ("-wal", "-shm"):
            (workdir / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
        (workdir / "bench.sqlite3").write_bytes(clean)
        started = time.perf_counter()
        summary = registry.build_demo_registry(scale=scale, seed=args.seed)
        seconds = time.perf_counter() - started
        rows = sum(
            getattr(summary, f)
            for f in ("buildings", "households", "residents", "tags", "organisations",
                      "facilities", "workers", "positions", "certificates", "trainings")
        )  # fmt: skip
        print(
            f"{scale:5s}: {seconds:6.1f} s  residents {summary.residents:,}  households "
            f"{summary.households:,}  rows {rows:,}  ({rows / seconds:,.0f} rows/s)"
        )
    # Baseline in the same run: the same resident rows through bulk_create and Writer.
    sample = list(
        Resident.objects.order_by("pk").values(
            *[f.attname for f in Resident._meta.concrete_fields if f.attname != "id"]
        )[:20_000]
    )
    household = Household.objects.order_by("pk").first()
    for row in sample:
        row.update(
            id_number="", id_number_hash="", household_id=household.pk if household else None
        )
    writer = registry.Writer(Resident, timezone.now())
    timings = {}
    for label in ("bulk_create", "Writer"):
        with transaction.atomic():
            top = Resident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            rows_ = [dict(row, id=top + 1 + i) for i, row in enumerate(sample)]
            began = time.perf_counter()
            if label == "Writer":
                writer.write(rows_)
            else:
                Resident.objects.bulk_create([Resident(**r) for r in rows_], batch_size=2000)
            timings[label] = time.perf_counter() - began
            transaction.set_rollback(True)
    n = len(sample)
    print(
        f"write path, {n:,} residents: bulk_create {n / timings['bulk_create']:,.0f} rows/s, "
        f"Writer {n / timings['Writer']:,.0f} rows/s, ratio "
        f"{timings['bulk_create'] / timings['Writer']:.1f}×"
    )


if __name__ == "__main__":
    main()
