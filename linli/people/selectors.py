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

import heapq
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast, overload

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Length, StrIndex
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import NotFound
from linli.core.pii import PHONE_RE, blind_index, normalize_phone
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


def _prefix_range(field: str, prefix: str) -> Q:
    # `field >= prefix AND field < prefix-with-last-char+1` walks a B-tree on both databases;
    # `startswith` keeps the match exact under any collation.
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper, f"{field}__startswith": prefix})


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


# How many ids a search reads before it counts separately. A query whose order an index
# gives stops early, so a small cap and a COUNT over the covering index cost least; a query
# that must sort every match anyway (tags: row lookups) reads them all once instead of twice.
SEARCH_CAP = 1_000
SEARCH_CAP_SORTED = 20_000


class SearchResults[M]:
    """An ordered search answer that counts and pages off index-only id queries (ADR 0023).

    It is sized and sliceable like a list, so Django's Paginator and ninja's @paginate take
    it as they take a QuerySet. The first `cap` ids come from one query per branch that a
    covering index answers in order (several branches — e.g. pinyin OR initials — are merged
    in order and de-duplicated); the count is their number, or once past the cap a COUNT
    (one branch) or the distinct ids of all branches; a page then loads only its own rows,
    with their relations, in one or two queries.
    """

    def __init__(
        self,
        branches: Sequence[QuerySet[Any]],
        *,
        order: tuple[str, ...],
        load: Callable[[list[int]], list[M]],
        cap: int = SEARCH_CAP,
    ) -> None:
        self.branches = branches
        self.order = order  # sort fields, the last one the primary key "id"
        self.load = load
        self.cap = cap
        self._ids: list[int] | None = None
        self._truncated = False
        self._count: int | None = None

    def _keys(self, branch: QuerySet[Any], stop: int) -> list[tuple[Any, ...]]:
        return list(branch.order_by(*self.order).values_list(*self.order)[:stop])

    def _merged(self, stop: int) -> tuple[list[int], bool]:
        if len(self.branches) == 1:  # ids only: no sort keys to build in Python
            branch = self.branches[0].order_by(*self.order)
            only = list(branch.values_list("pk", flat=True)[:stop])
            return only, len(only) >= stop
        lists = [self._keys(b, stop) for b in self.branches]
        truncated = any(len(keys) >= stop for keys in lists)
        merged = heapq.merge(*lists)
        ids: list[int] = []
        seen: set[int] = set()
        for key in merged:
            if key[-1] not in seen:
                seen.add(key[-1])
                ids.append(key[-1])
        return ids[:stop], truncated

    @property
    def ids(self) -> list[int]:
        """The first `cap` (+1) matching ids, in order."""
        if self._ids is None:
            self._ids, self._truncated = self._merged(self.cap + 1)
        return self._ids

    def count(self) -> int:
        if self._count is None:
            ids = self.ids
            if not self._truncated:
                self._count = len(ids)
            elif len(self.branches) == 1:
                self._count = self.branches[0].count()
            else:  # a row may be in several branches: count distinct ids (index-only reads)
                seen: set[int] = set()
                for branch in self.branches:
                    seen.update(branch.order_by().values_list("pk", flat=True))
                self._count = len(seen)
        return self._count

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
        ids = self.ids
        if not self._truncated or stop <= len(ids):
            page_ids = ids[start:stop]
        else:  # a page past the cap: read that far (rare: page 40 and beyond)
            page_ids = self._merged(stop)[0][start:stop]
        return self.load(page_ids) if page_ids else []

    def __iter__(self) -> Iterator[M]:
        """Every row, a page at a time (exports; pages and the API slice)."""
        for start in range(0, self.count(), 500):
            yield from self[start : start + 500]


def _loaded_in_order(queryset: QuerySet[Any], ids: list[int]) -> list[Any]:
    by_id = {row.pk: row for row in queryset.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def _name_contains_branches(base: QuerySet[Any], q: str) -> list[QuerySet[Any]]:
    """`name` contains `q`, as index ranges (ADR 0023): q starts the name, or starts at its 2nd
    or 3rd character — every position of a name of up to 3 characters — or the name has 4+
    characters (few) and contains it. Each branch is one index of Resident.Meta.indexes."""
    return [
        base.filter(_prefix_range("name", q)),
        base.alias(name_from2=NameFrom(2)).filter(_prefix_range("name_from2", q)),
        base.alias(name_from3=NameFrom(3)).filter(_prefix_range("name_from3", q)),
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
) -> SearchResults[Resident]:
    """Visible residents matching every given criterion, as `SearchResults`: count and pages
    with region, household and tags loaded (3–4 queries whatever the page size).

    `q`: a name fragment, a pinyin or initials prefix, or an exact ID number / phone.
    `tags`: residents carrying all of them. `age_min`/`age_max`: whole years, inclusive.
    `region_code`: that region and everything below it. `status`: one `Resident.Status`.
    Order: by name for a name, pinyin for pinyin, age (oldest first) when ages are given,
    else by region and name — each the order of the index that answers the query.
    """
    base = Resident.objects.visible_to(principal)
    order: tuple[str, ...] = ("region_code", "name", "id")
    # Tag rows carry the region code too: scoping them first means a town reads its own
    # tagged residents, not the county's.
    tag_rows = ResidentTag.objects.visible_to(principal)
    if region_code:
        tag_rows = tag_rows.filter(_prefix_range("region_code", code_prefix(region_code)))
    # Alone, tags drive the query (tagged ids, then their rows); with an age range, a region
    # or a search entry, that narrower index drives and each row probes its tags.
    tags_drive = not (age_min is not None or age_max is not None or region_code or q)
    for tag in dict.fromkeys(tags or ()):
        if tags_drive:
            base = base.filter(pk__in=tag_rows.filter(tag=tag).values("resident_id"))
        else:
            base = base.filter(
                Exists(ResidentTag.objects.filter(resident_id=OuterRef("pk"), tag=tag))
            )
    if age_min is not None or age_max is not None:
        earliest, latest = birth_date_bounds(age_min, age_max, timezone.localdate())
        if latest is not None:
            base = base.filter(birth_date__lte=latest)
        if earliest is not None:
            base = base.filter(birth_date__gt=earliest)
        order = ("birth_date", "id")
    if region_code:
        base = base.filter(_prefix_range("region_code", code_prefix(region_code)))
    if status:
        base = base.filter(status=status)
    if household is not None:
        base = base.filter(household_id=household)
    branches: list[QuerySet[Any]] = [base]
    q = (q or "").strip()
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
            by_pinyin = _prefix_range("name_pinyin", key)
            branches = [base.filter(by_pinyin)]
            # One letter is both a pinyin and an initials prefix; names have few syllables.
            if 2 <= len(key) <= MAX_INITIALS:
                branches.append(base.filter(_prefix_range("name_initials", key)))
            order = ("name_pinyin", "id")
        else:
            branches = _name_contains_branches(base, q)
            order = ("name", "region_code", "id")
    loader = (
        Resident.objects.visible_to(principal)
        .select_related("region", "household")
        .prefetch_related(_tags_prefetch())
    )
    return SearchResults(
        branches,
        order=order,
        load=lambda ids: _loaded_in_order(loader, ids),
        cap=SEARCH_CAP_SORTED if tags and tags_drive else SEARCH_CAP,
    )


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
    base = Household.objects.visible_to(principal)
    q = (q or "").strip()
    if q:
        # INSTR/STRPOS compares bytes: a scan of the covering index runs faster than LIKE's
        # character-by-character, case-folding match.
        base = base.alias(address_at=StrIndex("address", Value(q))).filter(
            Q(address_at__gt=0) | Q(number__startswith=q)
        )
    if region_code:
        base = base.filter(_prefix_range("region_code", code_prefix(region_code)))
    if building is not None:
        base = base.filter(building_id=building)
    loader = Household.objects.visible_to(principal).select_related("region", "building", "head")

    def load(ids: list[int]) -> list[Household]:
        rows = _loaded_in_order(loader, ids)
        counts = dict(
            Resident.objects.filter(household_id__in=ids, status=Resident.Status.ACTIVE)
            .values("household_id")
            .annotate(n=Count("id"))
            .values_list("household_id", "n")
        )
        for row in rows:
            row.member_count = counts.get(row.pk, 0)
        return rows

    return SearchResults([base], order=("region_code", "number", "id"), load=load)


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
    labels = dict(Tag.choices)
    tag_counts = [(tag, labels[tag], counts[tag]) for tag in Tag.values if counts.get(tag)]
    resident_count = (
        Resident.objects.visible_to(principal).filter(status=Resident.Status.ACTIVE).count()
    )
    rows = list(households)
    for row in rows:
        row.member_count = len(row.active_members)
    return GridOverview(regions, rows, tag_counts, resident_count)
