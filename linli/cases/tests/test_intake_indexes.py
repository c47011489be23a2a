"""Every intake writes every index of the case table it enters (ADR 0112): the indexes a new
case skips are partial (`… IS NOT NULL`) and the queries on those columns still use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from linli.accounts.models import User
from linli.cases.models import Case
from linli.core.testing import sqlite_plan

pytestmark = pytest.mark.django_db

# What a new case is written into, whatever its source: the key, the scope, the lists.
WRITTEN_BY_EVERY_INTAKE = {
    "case_category_created",
    "case_status_region",
    "cases_case_region_code_dcc73bca",
    "cases_case_region_code_dcc73bca_like",  # PostgreSQL's twin for LIKE 'prefix%'
    "cases_case_region_id_ffee331b",
}
ONLY_WHERE_SET = {
    "case_reporter_set",
    "case_merged_into_set",
    "case_dispatched_at_set",
    "case_resolve_deadline_set",
    "case_rated_at_set",
}


def _indexes() -> dict[str, str]:
    """{index name: its SQL} of the case table, the primary key left out."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'cases_case' AND sql IS NOT NULL"
            )
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_case' "
                "AND indexname <> 'cases_case_pkey'"
            )
        return dict(cursor.fetchall())


def test_a_new_case_enters_only_the_indexes_every_case_needs():
    indexes = _indexes()
    full = {name for name, sql in indexes.items() if " WHERE " not in sql.upper()}
    partial = {name for name, sql in indexes.items() if " WHERE " in sql.upper()}
    expected_full = WRITTEN_BY_EVERY_INTAKE
    if connection.vendor != "postgresql":
        expected_full = {n for n in expected_full if not n.endswith("_like")}

    assert full == expected_full
    assert partial == ONLY_WHERE_SET
    for name in ONLY_WHERE_SET:
        assert "IS NOT NULL" in indexes[name].upper(), name


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's plan")
def test_the_queries_on_a_column_set_later_use_its_partial_index():
    reporter = User.objects.create_user("plan-reader", password="x-plan-pass-1")
    now = timezone.now()
    queries = {
        "case_reporter_set": Case.objects.filter(reporter=reporter),
        "case_resolve_deadline_set": Case.objects.filter(resolve_deadline__lt=now),
        "case_dispatched_at_set": Case.objects.filter(dispatched_at__gte=now - timedelta(days=30)),
        "case_rated_at_set": Case.objects.filter(rated_at__gte=now - timedelta(days=30)),
        "case_merged_into_set": Case.objects.filter(merged_into_id=1),
    }
    for index, queryset in queries.items():
        plan = " ".join(sqlite_plan(queryset.values("id")))
        assert index in plan, (index, plan)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's LIKE is what scans")
def test_a_towns_case_list_walks_the_region_index_on_sqlite(two_towns):
    # A town's list is a range of region codes (ADR 0110), not a LIKE that scans every case.
    from linli.cases.selectors import case_visible
    from linli.core.scoping import Scope

    steps = sqlite_plan(case_visible(Scope(prefixes=("340223100",), can_write=True)))
    assert not any(step.startswith("SCAN cases_case") for step in steps), steps
    assert any("INDEX" in step and "region_code" in step for step in steps), steps
