"""Reads of the people registry, always narrowed to what the principal may see.

`resident_search` is the one search behind the pages, the API and the benchmark
(bench/registry_search.py). It is built so that each kind of query can be answered from an
index on SQLite and PostgreSQL alike (ADR 0023):

* a name fragment in Chinese → `name` contains;
* Latin letters → a prefix of the full pinyin (zhangsan) or of the initials (zs), as a range
  on the indexed key (`>= q AND < q+1`), which both databases answer from a B-tree whatever
  the collation, plus `startswith` to stay exact;
* 18 characters that look like an ID number, or a mobile number → the blind index, exact;
* ages → a range of birth dates, computed from today's local date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast, overload

from django.db import connections
from django.db.models import (
    Count,
    Exists,
    Expression,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Length, StrIndex
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import NotFound
from linli.core.pii import PHONE_RE, blind_index, normalize_phone
from linli.core.scoping import scope_of, starts_with
from linli.people import address_index
from linli.people.models import Household, NameFrom, Resident, ResidentMove, ResidentTag, Tag
from linli.regions.models import Region
from linli.regions.selectors import code_prefix

NAME_MAX_LENGTH = 50  # Resident.name max_length
MAX_INITIALS = 6  # initials are one letter a syllable; longer entries are full pinyin
ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")
LATIN_RE = re.compile(r"^[A-Za-z]+$")
QUERY_KINDS = ("name", "pinyin", "id_number", "phone")


def query_kind(q: str) -> str:
    """What a search box entry is: "id_number", "phone", "pinyin" or "name"."""
    q = q.strip()
    if ID_NUMBER_RE.match(q):
        return "id_number"
    if PHONE_RE.match(normalize_phone(q)):
        return "phone"
    if LATIN_RE.match(q.replace(" ", "")):
        return "pinyin"
    return "name"


def looks_like_pii(q: str) -> bool:
    """True when a search entry is an ID number or a phone (pages must not echo it back)."""
    return bool(q) and query_kind(q) in ("id_number", "phone")


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def birth_date_bounds(
    age_min: int | None, age_max: int | None, today: date
) -> tuple[date | None, date | None]:
    """(earliest exclusive, latest inclusive) birth dates for ages in [age_min, age_max]:
    age >= n ⇔ born on or before today n years ago; age <= m ⇔ born after today m+1 years ago."""
    latest = years_before(today, age_min) if age_min is not None else None
    earliest = years_before(today, age_max + 1) if age_max is not None else None
    return earliest, latest


def _tags_prefetch() -> Prefetch:
    return Prefetch("tags", queryset=ResidentTag.objects.order_by("tag"))


class Unindexed(Func):
    """A column that SQLite's planner may not drive a query by: `+column`, SQLite's documented
    way to keep a term out of index selection (other databases get the plain column).

    Without ANALYZE statistics (a fresh or bulk-loaded database) SQLite takes an equality on
    any indexed column for a very selective one, so `status = 'active'` — nearly every row —
    drove name, age and tag searches through the status index: 0.4–0.9 s county-wide instead
    of a few milliseconds (ADR 0025). PostgreSQL keeps statistics and plans by them."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


# How many ids a search reads before it counts separately: a query whose order an index
# gives stops early, so a small cap and a COUNT over the covering index cost least. Four
# pages of 50 (the pages' and the API's size); a common name fragment (华: 18 k matches in
# four branches) read 1,000 keys a branch into Python for a first page of 50 (ADR 0025).
SEARCH_CAP = 200


class Pages[M]:
    """Sized and sliceable like a list, so Django's Paginator and ninja's @paginate take a
    search answer as they take a QuerySet; subclasses give `count()` and `_page(start, stop)`."""

    def count(self) -> int:
        raise NotImplementedError

    def _page(self, start: int, stop: int) -> list[M]:
        raise NotImplementedError

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, key: int) -> M: ...

    @overload
    def __getitem__(self, key: slice) -> list[M]: ...

    def __getitem__(self, key: int | slice) -> M | list[M]:
        if isinstance(key, int):
            rows = self[key : key + 1]
            if not rows:
                raise IndexError(key)
            return rows[0]
        start = key.start or 0
        stop = key.stop if key.stop is not None else self.count()
        return self._page(start, stop) if stop > start else []

    def __iter__(self) -> Iterator[M]:
        """Every row, a page at a time (exports; pages and the API slice)."""
        for start in range(0, self.count(), 500):
            yield from self[start : start + 500]


class SearchResults[M](Pages[M]):
    """An ordered search answer, counted and paged in two statements (ADR 0023, 0100).

    One statement reads the first `cap` ids in order together with the count; a page then
    loads only its own rows with their relations in one more (`load`). A page past the cap
    reads the ids that far (rare: page 5 and beyond). The first statement takes one of two
    shapes:

    * by default the branches (e.g. pinyin OR initials), each answered in order by a
      covering index, stand under one ORDER BY and LIMIT as a `UNION ALL`, so that a read
      stops after `cap` entries, and the count is a scalar subquery beside them: a COUNT per
      branch when no row is in two branches (`disjoint`), else the COUNT of their UNION;
    * `whole`: the matches are found once, as a materialized CTE, then counted and sorted —
      for searches whose matches are few but costly to find (a list of tagged ids to build,
      a trigram lookup), which the default would find twice, and where an index's order
      with the LIMIT is a trap (PostgreSQL would walk it and filter every entry).
    """

    def __init__(
        self,
        branches: Sequence[QuerySet[Any]],
        *,
        order: tuple[str, ...],
        load: Callable[[list[int]], list[M]],
        cap: int = SEARCH_CAP,
        disjoint: bool = False,
        whole: bool = False,
    ) -> None:
        self.branches = branches
        self.disjoint = disjoint
        self.whole = whole
        self.order = order  # sort fields, the last one the primary key "id"
        self.load = load
        self.cap = cap
        self._ids: list[int] | None = None
        self._count: int | None = None

    def _read(self, stop: int, *, count: bool) -> tuple[list[int], int]:
        """The first `stop` ids in order and, if `count`, the number of matches (else -1)."""
        arms = [_compiled(b.order_by().values_list(*self.order)) for b in self.branches]
        disjoint = self.disjoint or len(arms) == 1
        keys = ", ".join(str(n + 1) for n in range(len(self.order)))
        vendor = connections[self.branches[0].db].vendor
        # UNION (not ALL) when a row may be in several branches: each comes once.
        union = (" UNION ALL " if disjoint else " UNION ").join(sql for sql, _params in arms)
        params: list[Any] = [p for _sql, arm_params in arms for p in arm_params]
        first = union  # where the first `stop` rows are read from
        if len(arms) > 1 and not self.whole and vendor == "postgresql":
            # PostgreSQL sorts an appended set whole (it does not sort each branch by the
            # incremental sort its index allows, then merge): each branch takes its own
            # first `stop` rows. SQLite merges the branches in order by itself.
            first = (" UNION ALL " if disjoint else " UNION ").join(
                f"({sql} ORDER BY {keys} LIMIT {int(stop)})" for sql, _params in arms
            )
        if self.whole:
            sql = (
                f"WITH found AS MATERIALIZED ({union}) "  # noqa: S608 - compiled querysets
                f"SELECT found.*, {'(SELECT COUNT(*) FROM found)' if count else '-1'} "
                f"FROM found ORDER BY {keys} LIMIT {int(stop)}"
            )
        else:
            counted, count_params = "-1", []
            if count and disjoint:
                counted = " + ".join(
                    f"(SELECT COUNT(*) FROM ({sql}) c{n})"  # noqa: S608 - compiled querysets
                    for n, (sql, _p) in enumerate(arms)
                )
                count_params = params
            elif count:  # a row may be in several branches: count the distinct rows
                counted = f"(SELECT COUNT(*) FROM ({union}) c)"  # noqa: S608 - compiled
                count_params = params
            # The count is a materialized CTE: SQLite flattens the UNION ALL into the outer
            # query (each branch then merges in its index's order), which would copy a
            # scalar subquery into every branch, each counting once.
            sql = (
                f"WITH counted (n) AS MATERIALIZED (SELECT {counted}) "  # noqa: S608 - compiled
                f"SELECT s.*, (SELECT n FROM counted) FROM ({first}) s "
                f"ORDER BY {keys} LIMIT {int(stop)}"
            )
            params = [*count_params, *params]
        with connections[self.branches[0].db].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [row[-2] for row in rows], (rows[0][-1] if rows else 0)

    @property
    def ids(self) -> list[int]:
        """The first `cap` matching ids, in order (read with the count)."""
        if self._ids is None:
            self._ids, counted = self._read(self.cap, count=self._count is None)
            if self._count is None:
                self._count = counted
        return self._ids

    def count(self) -> int:
        if self._count is None:
            self.ids  # noqa: B018 -- reads the count too
        return cast(int, self._count)

    def _page(self, start: int, stop: int) -> list[M]:
        ids = self.ids
        if stop <= len(ids) or len(ids) >= self.count():
            page_ids = ids[start:stop]
        else:  # a page past the cap: read that far (rare: page 5 and beyond)
            page_ids = self._read(stop, count=False)[0][start:stop]
        return self.load(page_ids) if page_ids else []


class RegionGroupedResults[M](Pages[M]):
    """Residents found by their tags alone, in (region, name) order, counted and paged off the
    tag index (ADR 0025).

    Tag rows carry their resident's region code, so the index (tag, region_code, resident)
    says without reading a resident how many matches each region holds: their sum is the
    count, and their running total tells which regions a page spans. A page then sorts only
    the matches of those regions (a few dozen rows) by name, where sorting every match read
    each tagged resident's row — 12–16 k row lookups for one common tag county-wide.
    """

    def __init__(
        self,
        groups: QuerySet[Any],
        *,
        members: Callable[[list[str]], QuerySet[Any]],
        load: Callable[[QuerySet[Any]], list[M]],
    ) -> None:
        self.groups_query = groups  # (region_code, matches), by region_code
        self.members = members  # region codes → their matches, in the page order
        self.load = load  # a (sliced) query of ids → their rows, in the page order
        self._groups: list[tuple[str, int]] | None = None

    @property
    def groups(self) -> list[tuple[str, int]]:
        if self._groups is None:
            self._groups = list(self.groups_query)
        return self._groups

    def count(self) -> int:
        return sum(n for _code, n in self.groups)

    def _page(self, start: int, stop: int) -> list[M]:
        regions: list[str] = []
        skip = 0
        seen = 0  # matches in the regions before the current one
        for code, n in self.groups:
            if seen + n > start:
                if not regions:
                    skip = start - seen
                regions.append(code)
            seen += n
            if seen >= stop:
                break
        if not regions:
            return []
        # The page's ids, sorted among those regions' matches, are a subquery of the load.
        return self.load(self.members(regions).values("pk")[skip : skip + stop - start])


def _compiled(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """A queryset's SQL and parameters, to be composed into a larger statement."""
    return cast(
        "tuple[str, tuple[Any, ...]]", queryset.query.get_compiler(using=queryset.db).as_sql()
    )


def _loaded_in_order(queryset: QuerySet[Any], ids: list[int]) -> list[Any]:
    by_id = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [by_id[i] for i in ids if i in by_id]


class TagsText(Expression):
    """A resident's tags as one string, "id,tag,kind,grade,since" joined by ";" — codes,
    numbers and ISO dates only, so neither separator can occur in a value. Written as SQL:
    built from ORM expressions (a Subquery of a StringAgg of a Concat of Casts), Django took
    longer to build and compile it than the database took to run the whole page."""

    output_field = TextField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        aggregate: str = "STRING_AGG",
        since: str = "to_char(t.since, 'YYYY-MM-DD')",  # whatever the DateStyle
    ) -> tuple[str, tuple[Any, ...]]:
        quote = connection.ops.quote_name
        tags = quote(ResidentTag._meta.db_table)
        resident = compiler.quote_name(compiler.query.base_table)
        columns = [f"CAST(t.{quote(c)} AS TEXT)" for c in ("id", "tag", "disability_kind")]
        row = " || ',' || ".join(
            f"COALESCE({column}, '')"
            for column in [*columns, "CAST(t.disability_grade AS TEXT)", since]
        )
        sql = (
            f"(SELECT {aggregate}({row}, ';') FROM {tags} t "  # noqa: S608 - names from _meta
            f"WHERE t.{quote('resident_id')} = {resident}.{quote('id')})"
        )
        return sql, ()

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        # SQLite stores dates as ISO text.
        return self.as_sql(compiler, connection, aggregate="GROUP_CONCAT", since="t.since")


def _with_tags(residents: list[Resident]) -> list[Resident]:
    """Turn each row's `tags_text` into its `tags` as if prefetched (by tag), so that a page of
    residents and their tags is one statement instead of two."""
    for resident in residents:
        tags = []
        for item in (resident.tags_text or "").split(";"):  # type: ignore[attr-defined]
            if not item:
                continue
            pk, tag, kind, grade, since = item.split(",")
            tags.append(
                ResidentTag(
                    id=int(pk),
                    resident_id=resident.pk,
                    region_id=resident.region_id,
                    region_code=resident.region_code,
                    tag=tag,
                    disability_kind=kind,
                    disability_grade=int(grade) if grade else None,
                    since=date.fromisoformat(since) if since else None,
                )
            )
        tags.sort(key=lambda t: t.tag)
        cached = ResidentTag.objects.all()
        cached._result_cache = tags
        cached._prefetch_done = True  # type: ignore[attr-defined]
        resident._prefetched_objects_cache = {"tags": cached}  # type: ignore[attr-defined]
    return residents


# What the lists and the API's list items show of a resident (api.ResidentOut, the
# resident_list template): no timestamps, name keys or hashes — fewer values to convert a row.
RESIDENT_LIST_FIELDS = (
    "region_code",
    "region",
    "household",
    "relation",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "residence_type",
    "status",
    "region__name",
    "household__number",
    "household__address",
)
HOUSEHOLD_LIST_FIELDS = (
    "region_code",
    "region",
    "building",
    "head",
    "number",
    "address",
    "residence_type",
    "phone",
    "region__name",
    "building__address",
    "head__name",
)


def _resident_rows(principal: Any) -> QuerySet[Resident]:
    """What a list shows of a resident: its fields, region name, household number and address
    (not the household's encrypted phone) and its tags, in one statement (`_with_tags`)."""
    return cast(
        "QuerySet[Resident]",
        Resident.objects.visible_to(principal)
        .select_related("region", "household")
        .only(*RESIDENT_LIST_FIELDS)
        .annotate(tags_text=TagsText()),
    )


def _name_contains_branches(base: QuerySet[Any], q: str) -> list[QuerySet[Any]]:
    """`name` contains `q`, as index ranges (ADR 0023): q starts a name of up to 3 characters,
    or starts at its 2nd or 3rd character (and not before), or the name has 4+ characters
    (few) and contains it. Each branch is one index of Resident.Meta.indexes, and no name is
    in two branches, so that a count is a COUNT per branch."""
    # Unindexed: the length index is for the long names, never the way into the short ones.
    short = base.alias(short_length=Unindexed(Length("name"))).filter(short_length__lte=3)
    at_1 = starts_with("name", q)
    at_2 = starts_with("name_from2", q)
    return [
        short.filter(at_1),
        short.alias(name_from2=NameFrom(2)).filter(at_2).exclude(at_1),
        short.alias(name_from2=NameFrom(2), name_from3=NameFrom(3))
        .filter(starts_with("name_from3", q))
        .exclude(at_1)
        .exclude(at_2),
        # Bounded on both sides: SQLite's planner then prefers this (small) range.
        base.alias(name_length=Length("name")).filter(
            name_length__gte=4, name_length__lte=NAME_MAX_LENGTH, name__contains=q
        ),
    ]


def resident_search(
    principal: Any,
    *,
    q: str | None = None,
    tags: Sequence[str] | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    region_code: str | None = None,
    status: str | None = None,
    household: int | None = None,
) -> Pages[Resident]:
    """Visible residents matching every given criterion, as sized, sliceable `Pages`: count and
    pages with region, household and tags loaded (2 statements whatever the page size; a
    page past the first four of 50 one more).

    `q`: a name fragment, a pinyin or initials prefix, or an exact ID number / phone.
    `tags`: residents carrying all of them. `age_min`/`age_max`: whole years, inclusive.
    `region_code`: that region and everything below it. `status`: one `Resident.Status`.
    Order: by name for a name, pinyin for pinyin, age (oldest first) when ages are given,
    else by region and name — each the order of the index that answers the query.
    """
    tags = list(dict.fromkeys(tags or ()))
    q = (q or "").strip()
    loader = _resident_rows(principal)
    ages = age_min is not None or age_max is not None
    if tags and not (ages or region_code or q or household is not None):
        # Alone (or with a status), tags drive: the tag index counts and pages.
        return _residents_by_tags(principal, tags, status, loader)
    base = Resident.objects.visible_to(principal)
    order: tuple[str, ...] = ("region_code", "name", "id")
    # Any other criterion drives the query; the tagged ids (off the tag index, scoped) are
    # read once and each row is looked up among them — never the way into the residents.
    tag_rows = ResidentTag.objects.visible_to(principal)
    if region_code:
        tag_rows = tag_rows.filter(starts_with("region_code", code_prefix(region_code)))
    for tag in tags:
        base = base.alias(row_id=Unindexed("pk")).filter(
            row_id__in=tag_rows.filter(tag=tag).values("resident_id")
        )
    if ages:
        earliest, latest = birth_date_bounds(age_min, age_max, timezone.localdate())
        if latest is not None:
            base = base.filter(birth_date__lte=latest)
        if earliest is not None:
            base = base.filter(birth_date__gt=earliest)
        order = ("birth_date", "id")
    if region_code:
        base = base.filter(starts_with("region_code", code_prefix(region_code)))
    if household is not None:
        base = base.filter(household_id=household)
    if status and (tags or ages or region_code or q or household is not None):
        # The status rides along in the covering index of whatever drives; it never drives
        # itself (in-register residents are nearly all of them).
        base = base.alias(status_value=Unindexed("status")).filter(status_value=status)
    elif status:  # the status alone: (status, region_code, name) answers in order
        base = base.filter(status=status)
    if not (tags or ages or region_code or q or household is not None):
        # Nothing but the scope (and the status): the scope as a range of that index (or of
        # (region_code, name)), so that a town's list walks the town's entries, not the
        # county's with a LIKE tested on each (ADR 0100).
        scope = scope_of(principal)
        if not scope.is_global and len(scope.prefixes) == 1:
            base = base.filter(starts_with("region_code", scope.prefixes[0]))
    branches: list[QuerySet[Any]] = [base]
    if q:
        kind = query_kind(q)
        if kind == "id_number":
            branches = [base.filter(id_number_hash=blind_index(q.upper()))]
            order = ("id",)
        elif kind == "phone":
            branches = [base.filter(phone_hash=blind_index(normalize_phone(q)))]
            order = ("id",)
        elif kind == "pinyin":
            key = q.replace(" ", "").lower()
            by_pinyin = starts_with("name_pinyin", key)
            branches = [base.filter(by_pinyin)]
            # One letter is both a pinyin and an initials prefix; names have few syllables.
            # The initials index holds the pinyin too: excluding the first branch is free.
            if 2 <= len(key) <= MAX_INITIALS:
                branches.append(base.filter(starts_with("name_initials", key)).exclude(by_pinyin))
            order = ("name_pinyin", "id")
        else:
            branches = _name_contains_branches(base, q)
            order = ("name", "region_code", "id")
    return SearchResults(
        branches,
        order=order,
        load=lambda ids: _with_tags(_loaded_in_order(loader, ids)),
        disjoint=True,
        # The scope's tagged ids are read once, the matches among them counted and sorted.
        whole=bool(tags),
    )


def _residents_by_tags(
    principal: Any, tags: list[str], status: str | None, loader: QuerySet[Resident]
) -> RegionGroupedResults[Resident]:
    """Residents carrying every tag in `tags`, by region and name, off the tag index."""
    # Tag rows carry the region code too: scoping them means a town reads its own tagged
    # residents, not the county's. The first tag drives; the others are probed per row on
    # the (resident, tag) unique index.
    matches = ResidentTag.objects.visible_to(principal).filter(tag=tags[0])
    for tag in tags[1:]:
        matches = matches.filter(
            Exists(ResidentTag.objects.filter(resident_id=OuterRef("resident_id"), tag=tag))
        )
    counted = matches
    if status:
        # The status is the resident's, not the tag row's. In-register residents are nearly
        # all of them, so "active" is counted as "none of the others": the few moved-out and
        # deceased ids come off the status index instead of every tagged resident's row.
        others = [s for s in Resident.Status.values if s != status]
        if status == Resident.Status.ACTIVE:
            departed = Resident.objects.filter(status__in=others).values("pk")
            counted = matches.exclude(resident_id__in=departed)
        else:
            counted = matches.filter(
                resident_id__in=Resident.objects.filter(status=status).values("pk")
            )
    groups = (
        counted.order_by("region_code")
        .values("region_code")
        .annotate(n=Count("resident_id"))  # a column of the index: no row is read
        .values_list("region_code", "n")
    )

    def members(regions: list[str]) -> QuerySet[Resident]:
        rows = Resident.objects.filter(
            pk__in=matches.filter(region_code__in=regions).values("resident_id")
        )
        if status:
            rows = rows.alias(status_value=Unindexed("status")).filter(status_value=status)
        return rows.order_by("region_code", "name", "id")

    def load(ids: QuerySet[Resident]) -> list[Resident]:
        return _with_tags(list(loader.filter(pk__in=ids).order_by("region_code", "name", "id")))

    return RegionGroupedResults(groups, members=members, load=load)


def resident_get_visible(principal: Any, resident_id: int) -> Resident:
    """One resident with household, building, region and tags; NotFound (404) if unseen."""
    resident = (
        Resident.objects.visible_to(principal)
        .select_related("region", "region__parent", "household", "household__building")
        .prefetch_related(_tags_prefetch())
        .filter(pk=resident_id)
        .first()
    )
    if resident is None:
        raise NotFound("resident_not_found", _("居民不存在或无权查看"))
    return cast(Resident, resident)


def resident_moves(principal: Any, resident: Resident) -> list[ResidentMove]:
    """The resident's history, newest first (moves are visible with the resident)."""
    resident_get_visible(principal, resident.pk)
    return list(
        ResidentMove.objects.filter(resident=resident)
        .select_related("from_household", "to_household", "region")
        .order_by("-moved_on", "-id")
    )


def household_list(
    principal: Any,
    *,
    q: str | None = None,
    region_code: str | None = None,
    building: int | None = None,
) -> SearchResults[Household]:
    """Visible households by address, as `SearchResults` ordered by region and number:
    `q` matches the address (contains) or the number (prefix); each loaded row has region,
    building and head, and `member_count` (active members, one query per page)."""
    base: QuerySet[Household] = Household.objects.visible_to(principal)
    if region_code:
        base = base.filter(starts_with("region_code", code_prefix(region_code)))
    if building is not None:
        base = base.filter(building_id=building)
    q = (q or "").strip()
    if q:
        base = _address_or_number(base, q)
    # Lists show the head's name only (HOUSEHOLD_LIST_FIELDS): their encrypted ID number and
    # phone are not decrypted. The active members are counted per row off the household
    # index, in the same statement — counted, not filtered: as a filter, SQLite without
    # statistics read every in-register resident off the status index instead.
    members = (
        Resident.objects.filter(household_id=OuterRef("pk"))
        .order_by()
        .values("household_id")
        .annotate(n=Count("id", filter=Q(status=Resident.Status.ACTIVE)))
        .values("n")
    )
    loader = (
        Household.objects.visible_to(principal)
        .select_related("region", "building", "head")
        .only(*HOUSEHOLD_LIST_FIELDS)
        .annotate(member_count=Coalesce(Subquery(members), 0))
    )

    def load(ids: list[int]) -> list[Household]:
        return _loaded_in_order(loader, ids)

    # Through the trigram index the matches are found whole, then counted and sorted.
    whole = len(q) >= address_index.MIN_LENGTH
    return SearchResults([base], order=("region_code", "number", "id"), load=load, whole=whole)


def _address_or_number(base: QuerySet[Household], q: str) -> QuerySet[Household]:
    """Households whose address contains `q` or whose number starts with it. From three
    characters on, the trigram index on addresses and the number index find them (ADR 0025);
    shorter fragments match nearly everything anyway and scan the covering index."""
    # INSTR/STRPOS compares bytes: faster than LIKE's case-folding match where rows are
    # scanned, and the exact test everywhere.
    exact = base.alias(address_at=StrIndex("address", Value(q))).filter(
        Q(address_at__gt=0) | Q(number__startswith=q)
    )
    if len(q) < address_index.MIN_LENGTH:
        return exact
    vendor = connections[base.db].vendor
    if vendor == "sqlite":
        return exact.filter(pk__in=address_index.sqlite_candidates(q))
    if vendor == "postgresql":
        # LIKE '%q%' takes the pg_trgm GIN index, the range the number index: a BitmapOr.
        return base.filter(Q(address__contains=q) | starts_with("number", q))
    return exact


def household_get_visible(principal: Any, household_id: int) -> Household:
    household = (
        Household.objects.visible_to(principal)
        .select_related("region", "region__parent", "building", "head")
        .filter(pk=household_id)
        .first()
    )
    if household is None:
        raise NotFound("household_not_found", _("户不存在或无权查看"))
    return cast(Household, household)


def household_members(principal: Any, household: Household) -> list[Resident]:
    """Every member (active first, then moved out or deceased), with tags."""
    members = (
        Resident.objects.visible_to(principal)
        .filter(household=household)
        .select_related("region")
        .prefetch_related(_tags_prefetch())
        .order_by("status", "birth_date", "id")
    )
    active = [m for m in members if m.status == Resident.Status.ACTIVE]
    return active + [m for m in members if m.status != Resident.Status.ACTIVE]


def household_former_members(principal: Any, household: Household) -> list[ResidentMove]:
    """Who left this household (moved to another, moved out), newest first."""
    return list(
        ResidentMove.objects.visible_to(principal)
        .filter(from_household=household)
        .select_related("resident", "to_household")
        .order_by("-moved_on", "-id")
    )


def household_options(principal: Any, region_code: str) -> QuerySet[Household]:
    """Visible households of a region and below (for pickers), by number."""
    if not region_code:
        return cast("QuerySet[Household]", Household.objects.none())
    return cast(
        "QuerySet[Household]",
        Household.objects.visible_to(principal)
        .filter(region_code__startswith=code_prefix(region_code))
        .order_by("number", "id"),
    )


GRID_LIST_LIMIT = 500  # a grid holds a few hundred households; the search box narrows more


@dataclass
class GridOverview:
    """A grid worker's grid: its households (with members) and residents by tag."""

    regions: list[Region]
    households: list[Household]
    tag_counts: list[tuple[str, str, int]]
    resident_count: int


def grid_overview(principal: Any, *, q: str | None = None) -> GridOverview:
    """The principal's grids (a grid worker's role regions), their households with active
    members, and the count of residents per tag. Fixed number of queries."""
    regions = list(
        Region.objects.visible_to(principal).filter(level=Region.Level.GRID).order_by("code")
    )
    households = Household.objects.visible_to(principal).select_related("head")
    q = (q or "").strip()
    if q:
        households = households.filter(Q(address__contains=q) | Q(number__startswith=q))
    households = households.order_by("region_code", "number", "id").prefetch_related(
        Prefetch(
            "members",
            queryset=Resident.objects.filter(status=Resident.Status.ACTIVE)
            .prefetch_related(_tags_prefetch())
            .order_by("birth_date", "id"),
            to_attr="active_members",
        )
    )[:GRID_LIST_LIMIT]
    counts = dict(
        ResidentTag.objects.visible_to(principal)
        .filter(resident__status=Resident.Status.ACTIVE)
        .values_list("tag")
        .annotate(n=Count("id"))
        .values_list("tag", "n")
    )
    labels = {code: str(label) for code, label in Tag.choices}  # in the page's language
    tag_counts = [(tag, labels[tag], counts[tag]) for tag in Tag.values if counts.get(tag)]
    resident_count = (
        Resident.objects.visible_to(principal).filter(status=Resident.Status.ACTIVE).count()
    )
    rows = list(households)
    for row in rows:
        row.member_count = len(row.active_members)
    return GridOverview(regions, rows, tag_counts, resident_count)
