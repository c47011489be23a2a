"""County-wide indicator evaluation at every level, beside one hand-written SQL GROUP BY.

    .venv/bin/python bench/indicators.py [--runs 20] [--rebuild]

Builds (once; later runs reuse it) var/bench/indicators.sqlite3 with `manage.py demo
--scale full` (172 communities, ~400k residents, every module's demo data), or uses
DATABASE_URL when it is set (e.g. PostgreSQL, ANALYZEd first as autovacuum would after the
demo's bulk load). Then, in the same run on the same data:

- engine, cold: a fresh Python process sets Django up and evaluates every active indicator
  at the county, every town and every community once (`selectors.evaluation_live`: the
  tree, each measure's GROUP BY, the Python roll-up) — the first page view after a restart;
- engine, warm: the same evaluation repeated in one process (median of --runs), every measure
  recomputed (`LINLI_INDICATOR_CACHE_SECONDS=0`), and once more reusing the measure cache as
  the pages do;
- baseline: one hand-written SQL statement that groups the same rows (facilities, orgs,
  positions, certificates, trainings, cases) by community and kind — the least any
  implementation must read — cold (fresh process) and warm (median).

The runs alternate (engine, cached, SQL, engine, …) so that on a shared machine each sees the
same load.

Budget (DESIGN.md §9 and the issue): all indicators at every level < 1 s cold, within 3× of
the SQL warm.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_FILE = ROOT / "var" / "bench" / "indicators.sqlite3"

# The rows the measures read, grouped by community and kind in one statement: one part per
# table (a module whose table does not exist yet is left out).
BASELINE_PARTS = (
    (
        "facilities_facility",
        """SELECT substr(f.region_code, 1, 12) AS community, t.code AS kind,
                  COALESCE(f.building_area_m2, 0) AS amount
             FROM facilities_facility f JOIN facilities_facilitytype t ON t.id = f.type_id
            WHERE f.status = 'operating'""",
    ),
    (
        "orgs_organisation",
        """SELECT substr(region_code, 1, 12), 'org:' || kind || ':'
                  || CAST(is_regular_service AS TEXT) || ':' || CAST(is_brand AS TEXT), 1
             FROM orgs_organisation WHERE is_active""",
    ),
    (
        "workforce_position",
        """SELECT substr(region_code, 1, 12), 'position:' || kind, 1
             FROM workforce_position WHERE ended_on IS NULL""",
    ),
    (
        "workforce_certificate",
        "SELECT substr(region_code, 1, 12), 'certificate', 1 FROM workforce_certificate",
    ),
    (
        "workforce_training",
        "SELECT substr(region_code, 1, 12), 'training', days FROM workforce_training",
    ),
    ("cases_case", "SELECT substr(region_code, 1, 12), 'case', 1 FROM cases_case"),
)


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        DB_FILE.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("LINLI_DEBUG", "0")
    import django

    django.setup()


def build(rebuild: bool) -> None:
    from django.core.management import call_command

    from linli.regions.models import Region

    if rebuild and "sqlite" in os.environ["DATABASE_URL"] and DB_FILE.exists():
        DB_FILE.unlink()
    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        print("building the full-scale demo county (once)…", flush=True)
        call_command("demo", scale="full", verbosity=0)
    from django.db import connection

    if connection.vendor == "postgresql":
        # PostgreSQL plans by its statistics, which autovacuum gathers after a bulk load; a
        # server with autovacuum off (as CI's) would plan the demo's tables as empty.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def baseline_sql() -> str:
    from django.db import connection

    tables = set(connection.introspection.table_names())
    parts = [sql for table, sql in BASELINE_PARTS if table in tables]
    union = "\n    UNION ALL\n".join(parts)
    return (
        f"SELECT community, kind, COUNT(*), SUM(amount) FROM ({union}) AS facts "
        "GROUP BY community, kind"
    )


def once(what: str) -> float:
    """One timed run in this process: 'engine' (measures recomputed), 'cached' (measure
    values reused within LINLI_INDICATOR_CACHE_SECONDS, as pages do) or 'sql'."""
    from django.conf import settings
    from django.db import connection

    from linli.core.scoping import Scope
    from linli.indicators import selectors

    settings.LINLI_INDICATOR_CACHE_SECONDS = 60 if what == "cached" else 0
    started = time.perf_counter()
    if what in ("engine", "cached"):
        dashboard = selectors.evaluation_live(Scope(is_global=True))
        assert dashboard.evaluation.values
    else:
        with connection.cursor() as cursor:
            cursor.execute(baseline_sql())
            assert cursor.fetchall()
    return time.perf_counter() - started


def measure_timings() -> list[tuple[float, str]]:
    """Each needed measure's warm time within one evaluation's batch, slowest first (who to
    speed up). Measures sharing a read (`measures.memo`) run in the engine's order: the
    first of them pays for the read, the others only for their own arithmetic."""
    from linli.core.scoping import Scope
    from linli.indicators import measures, selectors

    dashboard = selectors.evaluation_live(Scope(is_global=True))
    needed = sorted({c for s in dashboard.evaluation.specs for c in s.measures})
    available = measures.available()
    timings = []
    with measures.batch():
        for code in needed:
            if code not in available:
                continue
            started = time.perf_counter()
            # A failing measure is 数据异常 in the evaluation; timed all the same.
            with contextlib.suppress(Exception):
                available[code].compute(None)
            timings.append(((time.perf_counter() - started) * 1000, code))
    return sorted(timings, reverse=True)


def cold(what: str) -> float:
    """Seconds of one evaluation in a fresh process (Django set up before the clock starts)."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", what],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    ).stdout
    return float(json.loads(output.strip().splitlines()[-1])["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--child", choices=["engine", "cached", "sql"])
    args = parser.parse_args()
    setup_django()
    if args.child:
        print(json.dumps({"seconds": once(args.child)}))
        return
    build(args.rebuild)

    from django.db import connection

    from linli.core.scoping import Scope
    from linli.indicators import engine, selectors

    dashboard = selectors.evaluation_live(Scope(is_global=True))
    tree = dashboard.tree
    computed = [
        s.code
        for s in dashboard.evaluation.specs
        if dashboard.evaluation.values[(s.code, tree.roots[0])].status != engine.MISSING
    ]
    levels = {lvl: sum(1 for n in tree.nodes.values() if n.level == lvl) for lvl in engine.LEVELS}
    print(
        f"database: {connection.vendor}; {levels['community']} communities, {levels['town']} "
        f"towns, {levels['county']} county; {len(dashboard.indicators)} indicators "
        f"({len(computed)} with data) → {len(dashboard.evaluation.values)} values"
    )
    # Interleaved (engine, SQL, engine, SQL, …) so that both see the same load on a shared
    # machine; medians of each.
    whats = ("engine", "cached", "sql")
    cold_runs: dict[str, list[float]] = {"engine": [], "sql": []}
    for _ in range(3):
        for what in cold_runs:
            cold_runs[what].append(cold(what))
    colds = {what: statistics.median(runs) for what, runs in cold_runs.items()}
    for what in whats:  # warm up this process
        once(what)
    warm_runs: dict[str, list[float]] = {what: [] for what in whats}
    for _ in range(args.runs):
        for what in whats:
            warm_runs[what].append(once(what))
    warm = {what: statistics.median(runs) for what, runs in warm_runs.items()}
    print(f"{'':28}{'cold (fresh process)':>22}{'warm (median)':>16}")
    for label, what in (("engine, every level", "engine"), ("one SQL GROUP BY", "sql")):
        print(f"{label:28}{colds[what] * 1000:>19.1f} ms{warm[what] * 1000:>13.1f} ms")
    print(f"{'engine, cached measures':28}{'':>22}{warm['cached'] * 1000:>13.1f} ms")
    timings = measure_timings()
    print("slowest measures (warm, ms): " + ", ".join(f"{c} {t:.0f}" for t, c in timings[:6]))
    print(f"all measures: {sum(t for t, _ in timings):.0f} ms; tree + roll-up: the rest")
    ratio_cold = colds["engine"] / colds["sql"]
    ratio_warm = warm["engine"] / warm["sql"]
    ratio_cached = warm["cached"] / warm["sql"]
    print(f"{'ratio engine / SQL':28}{ratio_cold:>20.2f}×{ratio_warm:>15.2f}×")
    print(f"{'ratio cached / SQL':28}{'':>21}{ratio_cached:>15.2f}×")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"budget: cold < 1 s: {verdict(colds['engine'] < 1.0)}; ", end="")
    print(f"recomputed ≤ 3× SQL: {verdict(ratio_warm <= 3)}; ", end="")
    print(f"as served (cached measures) ≤ 3× SQL: {verdict(ratio_cached <= 3)}")


if __name__ == "__main__":
    main()
