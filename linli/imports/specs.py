"""What each registry looks like as a table: columns, row rules, natural key, bulk writer.

One `TableSpec` per kind (楼栋, 户, 居民, 组织, 服务设施, 社区工作者). The import engine
(`services.import_run`) reads a file twice: the first pass calls `parse` and `check_chunk`
on every row and keeps only the natural keys (for duplicates in the file), the second pass
parses again and calls `write_chunk` on batches inside one transaction. Exports use the
same columns, so an export opens like a template (with PII masked).

Natural keys (upsert): building = (region, 地址); household = (region, 户编号);
resident = 身份证号 (its blind index); organisation = (region, 类型, 名称);
facility = (region, 类型, 名称); worker = (region, 姓名, 手机号) or, without a phone,
(region, 姓名, 出生日期).
"""

from __future__ import annotations

import contextlib
import datetime
import operator
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, NamedTuple, cast

from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.utils import translation
from django.utils.translation import gettext as _

from linli.core.errors import Conflict
from linli.core.models import AuditEntry
from linli.core.pii import (
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    EncryptedTextField,
    id_number_error,
    mask_id_number,
    mask_phone,
)
from linli.core.scoping import Scope, prefix_range
from linli.core.tabular import ColumnSpec, ImportReport
from linli.facilities.models import Facility, FacilityType
from linli.imports import cells
from linli.imports.bulk import TableWriter, deferred_indexes, select_in, table_row_count
from linli.imports.crypto import BatchCipher, HmacSha256
from linli.imports.pinyin import name_keys_fast
from linli.orgs.models import Membership, Organisation, credit_code_error
from linli.people.models import (
    Household,
    ResidenceType,
    Resident,
    ResidentMove,
    ResidentTag,
    Tag,
)
from linli.people.services import TAG_MAX_AGE, TAG_MIN_AGE
from linli.regions.models import Building, Region
from linli.regions.services import FULL_ACCESS, registry_write_level

REGION_HEADER = "所在区划代码"
LEVEL_LABELS = {"county": "县", "town": "镇/街道", "community": "社区/村", "grid": "网格"}


def _workforce_model(name: str) -> type[models.Model]:
    # workforce is not one of the registry apps the architecture test lets other apps import
    # (tests/test_architecture.py); the lead is asked to allow imports → workforce. Until
    # then the models are looked up by label, which is a dependency all the same.
    return apps.get_model("workforce", name)


class RegionRef(NamedTuple):
    id: int
    code: str
    level: str
    name: str


@dataclass(slots=True)
class Parsed:
    """One data row after parsing: errors, the natural key, and the values to write."""

    number: int
    errors: list[str] = field(default_factory=list)
    key: Hashable | None = None
    region: RegionRef | None = None
    values: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class Hasher:
    """`pii.blind_index` with the key prepared once per import (same output, see the tests)."""

    def __init__(self) -> None:
        self.mac = HmacSha256(settings.PII_HASH_KEY.encode())

    def __call__(self, value: str) -> str:
        if not value:
            return ""
        return self.mac.digest(value.strip().upper().encode()).hex()


_ID_RE = re.compile(r"\d{17}[\dX]")
# The weighted sum of the 17 digits, from their ASCII codes: Σ w·(c − 48) = Σ w·c − 48·Σ w.
_ID_DIGIT_OFFSET = 48 * sum(ID_WEIGHTS)
_BIRTH_DATES: dict[str, datetime.date | None] = {}


def _birth_date(text: str) -> datetime.date | None:
    """YYYYMMDD as a date (None if there is no such day), remembered: a county has ~40,000."""
    try:
        return _BIRTH_DATES[text]
    except KeyError:
        pass
    try:
        birth: datetime.date | None = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        birth = None
    if len(_BIRTH_DATES) < 100_000:
        _BIRTH_DATES[text] = birth
    return birth


def id_number_birth(number: str) -> datetime.date | None:
    """The birth date of a valid 居民身份证号 (GB 11643), None if it is not valid; the same
    rules as `pii.id_number_error`, which gives the message."""
    if not _ID_RE.fullmatch(number):
        return None
    if number.isascii():
        total = sum(map(operator.mul, number[:17].encode(), ID_WEIGHTS)) - _ID_DIGIT_OFFSET
    else:  # other Unicode digits (\d), as int() reads them
        total = sum(map(operator.mul, map(int, number[:17]), ID_WEIGHTS))
    if ID_CHECK_CHARS[total % 11] != number[17]:
        return None
    return _birth_date(number[6:14])


@dataclass
class Context:
    """What one import run knows: who writes, the region tree, writers, audit details."""

    scope: Scope
    regions: dict[str, RegionRef]
    # Who the registry's write rule judges (a user by their roles; a token or Scope by scope).
    principal: Any = None
    user: Any = None
    ip_address: str | None = None
    reason: str = ""
    today: datetime.date = field(default_factory=datetime.date.today)
    # The write phase is a bulk load: the table's indexes are rebuilt at its end (ADR 0042).
    bulk_load: bool = False
    lookups: dict[str, Any] = field(default_factory=dict)
    _writers: dict[type, TableWriter] = field(default_factory=dict)
    _region_checks: dict[tuple[str, tuple[str, ...], bool], tuple[RegionRef | None, str]] = field(
        default_factory=dict
    )
    audit: list[AuditEntry] = field(default_factory=list)
    hash: Hasher = field(default_factory=Hasher)
    _cipher: BatchCipher | None = None

    @property
    def cipher(self) -> BatchCipher:
        """Fernet for a batch of values at once (crypto.py), with the newest PII key."""
        if self._cipher is None:
            self._cipher = BatchCipher()
        return self._cipher

    def writer(self, model: type[models.Model]) -> TableWriter:
        if model not in self._writers:
            self._writers[model] = TableWriter(model)
        return self._writers[model]

    def written_models(self) -> list[type[models.Model]]:
        """The models this import has written to (inserts or updates)."""
        return list(self._writers)

    def region(
        self, code: str, levels: tuple[str, ...], errors: list[str], *, registry: bool = False
    ) -> RegionRef | None:
        """The row's region, if it exists, has a right level and may be written by the
        importer (`registry`: the people registry's rule, ADR 0021, on top of the scope)."""
        cache_key = (code, levels, registry)
        cached = self._region_checks.get(cache_key)
        if cached is None:
            cached = self._check_region(code, levels, registry)
            self._region_checks[cache_key] = cached
        ref, message = cached
        if message:
            errors.append(message)
        return ref

    def _check_region(
        self, code: str, levels: tuple[str, ...], registry: bool
    ) -> tuple[RegionRef | None, str]:
        if not code:
            return None, _("请填写%(col)s") % {"col": REGION_HEADER}
        ref = self.regions.get(code)
        if ref is None:
            return None, _("区划代码 %(code)s 不存在") % {"code": code[:20]}
        if not self.scope.covers(ref.code):
            return None, _("区划 %(code)s（%(name)s）不在您的管理范围内") % {
                "code": code,
                "name": ref.name,
            }
        if not self.scope.may_write(ref.code) or (
            registry and registry_write_level(self.principal or self.scope, ref.code) != FULL_ACCESS
        ):
            return None, _("您无权在区划 %(code)s（%(name)s）登记数据") % {
                "code": code,
                "name": ref.name,
            }
        if ref.level not in levels:
            return None, _("区划 %(code)s 是%(level)s，本表只能填写%(allowed)s") % {
                "code": code,
                "level": LEVEL_LABELS.get(ref.level, ref.level),
                "allowed": "、".join(LEVEL_LABELS[level] for level in levels),
            }
        return ref, ""

    def audit_update(
        self,
        model: type[models.Model],
        pk: int,
        label: str,
        region_code: str,
        changed: Mapping[str, tuple[Any, Any]],
    ) -> None:
        """Queue an audit entry for one updated row (before/after, PII masked by the caller)."""
        self.audit.append(
            AuditEntry(
                actor=self.user,
                actor_label=str(self.user) if self.user else "系统",
                ip_address=self.ip_address,
                action=AuditEntry.Action.UPDATE,
                model_label=model._meta.label,
                object_pk=str(pk),
                object_repr=label[:200],
                region_code=region_code,
                changes={"changed": {k: [_plain(a), _plain(b)] for k, (a, b) in changed.items()}},
                reason=self.reason,
            )
        )

    def flush_audit(self) -> None:
        if self.audit:
            AuditEntry.objects.bulk_create(self.audit, batch_size=500)
            self.audit = []


def birth_age(birth: datetime.date, day: datetime.date) -> int:
    years = day.year - birth.year
    return years - ((day.month, day.day) < (birth.month, birth.day))


def _keep(values: dict[str, Any], **optional: Any) -> None:
    """Set the optional values a row gives, in order; a blank one (None or "") is left out,
    so that the stored value stays."""
    values.update((k, v) for k, v in optional.items() if v is not None and v != "")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


# --- the base spec ----------------------------------------------------------------------


class TableSpec:
    """A registry as a table. Subclasses define columns, parsing, keys, writes, exports."""

    kind: ClassVar[str]
    label: ClassVar[str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[tuple[ColumnSpec, ...]]
    region_levels: ClassVar[tuple[str, ...]] = ("community", "grid")
    # Fields compared through their blind index, never decrypted: encrypted field → hash field.
    hashed: ClassVar[dict[str, str]] = {}
    pii: ClassVar[frozenset[str]] = frozenset()
    duplicate_what: ClassVar[str] = ""

    @property
    def encrypted_fields(self) -> tuple[str, ...]:
        """The model's encrypted fields (their values may be encrypted ahead of the write)."""
        return tuple(
            f.attname for f in self.model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        )

    def prepare(self, ctx: Context) -> None:
        """Load what every row needs (type catalogues…) once per import."""

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        raise NotImplementedError

    def duplicate_message(self, first_row: int) -> str:
        return _("%(what)s与第%(row)d行重复") % {"what": self.duplicate_what, "row": first_row}

    # The natural key is also a unique constraint: a row that was new on the first pass and
    # is inserted by someone else before the second fails the insert (409), never duplicates.
    unique_key: ClassVar[bool] = True
    # The people registry (buildings, households, residents) is kept by registry writers only
    # (regions.services.registry_write_level, ADR 0021), not by any writable scope.
    registry: ClassVar[bool] = False
    # Columns the write phase looks rows up by (their indexes survive a bulk load).
    lookup_columns: ClassVar[tuple[str, ...]] = ()
    # `preload_keys` loads the stored natural keys, so that validating a bulk load never reads
    # the table a writer process has locked to rebuild its indexes (ADR 0106).
    preloads_keys: ClassVar[bool] = False

    def preload_keys(self, ctx: Context) -> None:
        """Read what `check_chunk` needs of the stored rows now, once (bulk loads only)."""
        raise NotImplementedError

    def check_chunk(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        """Rules that need the database (first pass, before anything is written); marks the
        rows whose natural key is already stored (`extra["exists"]`)."""
        self._mark_existing(self._existing(ctx, [p for p in chunk if p.key is not None]), chunk)

    @staticmethod
    def _mark_existing(found: Mapping[Hashable, Any], chunk: Sequence[Parsed]) -> None:
        for parsed in chunk:
            if parsed.key is not None and parsed.key in found:
                parsed.extra["exists"] = True

    def _stored(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        """The stored rows of a write batch; none to look for if every key was new on the
        first pass (and the key is unique, see `unique_key`)."""
        if self.unique_key and not any(p.extra.get("exists") for p in chunk):
            return {}
        return self._existing(ctx, chunk)

    def write_chunk(self, ctx: Context, chunk: Sequence[Parsed], report: ImportReport) -> None:
        """The write phase for a batch (second pass); by default the upsert by natural key."""
        self._upsert(ctx, chunk, report)

    def finish_check(self, ctx: Context) -> Mapping[int, list[str]]:
        """Rules that need the whole file (after the first pass): errors by row number."""
        return {}

    def finish_write(self, ctx: Context, report: ImportReport) -> None:
        """Writes that need every row written first (inside the import's transaction)."""

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    # -- helpers shared by the simple (one model, no children) registries --

    def _start(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        """Every parse's prologue: a new `Parsed` with the row's region checked (its errors
        come first) and set in `values`."""
        parsed = Parsed(number)
        ref = ctx.region(
            row.get("region", ""), self.region_levels, parsed.errors, registry=self.registry
        )
        if ref is not None:
            parsed.region = ref
            parsed.values["region_id"] = ref.id
            parsed.values["region_code"] = ref.code
        return parsed

    def _existing(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        raise NotImplementedError

    def _in_regions(self, chunk: Sequence[Parsed], by: str, *fields: str) -> Any:
        """The stored rows (`fields`) in the batch's regions whose `by` one of its rows has:
        what `_existing` keys by the natural key."""
        return self.model.objects.filter(  # type: ignore[attr-defined]
            region_id__in={p.region.id for p in chunk if p.region},
            **{f"{by}__in": {p.values[by] for p in chunk}},
        ).values(*fields)

    def _changes(self, parsed: Parsed, current: Mapping[str, Any]) -> dict[str, Any]:
        """The values of `parsed` that differ from the stored row (PII compared by hash)."""
        changed: dict[str, Any] = {}
        for name, value in parsed.values.items():
            if name in self.hashed:
                continue
            if current.get(name) != value:
                changed[name] = value
        for plain, hashed in self.hashed.items():
            if hashed in changed:
                changed[plain] = parsed.values[plain]
        return changed

    def _upsert(
        self, ctx: Context, chunk: Sequence[Parsed], report: ImportReport
    ) -> dict[int, str]:
        """Insert new rows, update changed ones; returns row number → created/updated/unchanged."""
        current = self._stored(ctx, chunk)
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        states: dict[int, str] = {}
        for parsed in chunk:
            stored = current.get(parsed.key)
            if stored is None:
                inserts.append(parsed.values)
                states[parsed.number] = "created"
                continue
            changed = self._changes(parsed, stored)
            if not changed:
                states[parsed.number] = "unchanged"
                continue
            updates.append((stored["id"], changed))
            states[parsed.number] = "updated"
            ctx.audit_update(
                self.model,
                stored["id"],
                str(parsed.values.get("name") or parsed.values.get("number") or ""),
                str(parsed.values.get("region_code") or stored.get("region_code", "")),
                {
                    name: (
                        "****" if name in self.pii else stored.get(name),
                        mask_phone(value) if name in self.pii else value,
                    )
                    for name, value in changed.items()
                    if not name.endswith("_hash")
                },
            )
        writer = ctx.writer(self.model)
        writer.insert(inserts)
        writer.update(updates)
        for state in states.values():
            setattr(report, state, getattr(report, state) + 1)
        return states

    def track(self, ctx: Context, parsed: Parsed) -> None:
        """Rules across the whole file beyond the natural key (first pass, every row)."""

    def share_work(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        """With a writer process (writer.py): do part of the write's CPU work here, on the
        validating side, so that both processes take about half of it."""


class BuildingLookup:
    """Finding a building by its address within the row's community (households, facilities)."""

    def _resolve_buildings(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        for parsed in chunk:
            address = parsed.extra.get("building")
            if not address or parsed.region is None:
                continue
            ids = _community_index(ctx, Building, "address", parsed.region.code).get(address, ())
            if len(ids) == 1:
                parsed.values["building_id"] = ids[0]
            elif not ids:
                parsed.errors.append(
                    _("楼栋地址“%(address)s”在本社区/村中未登记（请先导入楼栋）")
                    % {"address": address[:40]}
                )
            else:
                parsed.errors.append(
                    _("楼栋地址“%(address)s”在本社区/村中对应多个楼栋") % {"address": address[:40]}
                )


class OrgRow(NamedTuple):
    id: int
    region_id: int
    region_code: str
    kind: str
    name: str
    credit_code: str
    parent_id: int | None


def region_chain(regions: Mapping[str, RegionRef], code: str) -> list[RegionRef]:
    """The region of `code` and the regions above it (codes are hierarchical), nearest first."""
    chain: list[RegionRef] = []
    for candidate in (code, code[:12], code[:9].ljust(12, "0"), code[:6].ljust(12, "0")):
        ref = regions.get(candidate)
        if ref is not None and ref not in chain:
            chain.append(ref)
    return chain


def looks_like_credit_code(text: str) -> bool:
    return len(text) == 18 and text.isascii() and text.isalnum()


class OrgLookup:
    """The organisations an import may refer to — those the importer sees — found by
    统一社会信用代码 (county-wide) or by exact name in given regions. Loaded once per import:
    a county registers a few thousand."""

    def __init__(self, rows: Iterable[OrgRow] = ()) -> None:
        self.by_id: dict[int, OrgRow] = {}
        self.by_code: dict[str, list[OrgRow]] = defaultdict(list)
        self.by_name: dict[tuple[int, str], list[OrgRow]] = defaultdict(list)
        self.by_key: dict[tuple[int, str, str], OrgRow] = {}
        for row in rows:
            self.add(row)

    @classmethod
    def load(cls, scope: Scope) -> OrgLookup:
        rows = Organisation.objects.visible_to(scope).values_list(
            "id", "region_id", "region_code", "kind", "name", "credit_code", "parent_id"
        )
        return cls(OrgRow(*values) for values in rows)

    def add(self, row: OrgRow) -> None:
        self.by_id[row.id] = row
        if row.credit_code:
            self.by_code[row.credit_code].append(row)
        self.by_name[(row.region_id, row.name)].append(row)
        self.by_key[(row.region_id, row.kind, row.name)] = row

    @classmethod
    def of(cls, ctx: Context) -> OrgLookup:
        lookup = ctx.lookups.get("orgs")
        if lookup is None:
            lookup = ctx.lookups["orgs"] = cls.load(ctx.scope)
        return cast(OrgLookup, lookup)

    def find_above(self, text: str, regions: Mapping[str, RegionRef], code: str) -> list[OrgRow]:
        """`find` in the region of `code` and the regions above it (the nearest that has one)."""
        return self.find(text, region_chain(regions, code))

    def resolve_above(
        self, what: str, text: str, regions: Mapping[str, RegionRef], code: str
    ) -> tuple[OrgRow | None, str | None]:
        """The one organisation `text` names from the region of `code` or above (by credit code
        or exact name), or the error that it names none or several."""
        found = self.find_above(text, regions, code)
        message = org_reference_error(what, text, found, _("本行区划或上级区划中"))
        return (None, message) if message else (found[0], None)

    def find(
        self, text: str, regions: Sequence[RegionRef], kind: str | None = None
    ) -> list[OrgRow]:
        """Every organisation `text` may mean: by credit code, else by name in `regions`
        (the nearest region that has one wins), optionally of one kind."""
        code = text.upper()
        if looks_like_credit_code(code) and code in self.by_code:
            found = self.by_code[code]
        else:
            found = []
            for region in regions:
                found = self.by_name.get((region.id, text), [])
                if kind:
                    found = [row for row in found if row.kind == kind]
                if found:
                    break
        return [row for row in found if not kind or row.kind == kind]


def org_reference_error(what: str, text: str, found: Sequence[Any], where: str) -> str | None:
    """The Chinese error for an organisation reference that finds none or several."""
    if not found:
        return _(
            "%(what)s“%(text)s”未找到（须为%(where)s已登记的组织的全称或统一社会信用代码，"
            "且在您的管理范围内）"
        ) % {"what": what, "text": text[:40], "where": where}
    if len(found) > 1:
        return _("%(what)s“%(text)s”对应多个组织，请改填其统一社会信用代码") % {
            "what": what,
            "text": text[:40],
        }
    return None


def org_reference_text(credit_code: str | None, name: str | None) -> str:
    """How an export names an organisation it refers to: its credit code, else its name."""
    return credit_code or name or ""


def _community_index(
    ctx: Context, model: type[models.Model], field_name: str, region_code: str
) -> dict[str, list[int]]:
    """text → ids of the `model` rows in the community of `region_code` (loaded once)."""
    community = region_code[:12]
    cache = ctx.lookups.setdefault(f"{model._meta.label}.{field_name}", {})
    index = cache.get(community)
    if index is None:
        index = defaultdict(list)
        for pk, value in model.objects.filter(  # type: ignore[attr-defined]
            **prefix_range("region_code", community)
        ).values_list("id", field_name):
            index[value].append(pk)
        cache[community] = index
    return index


def _column(
    header: str, key: str, required: bool = False, help: str = "", example: str = ""
) -> ColumnSpec:
    return ColumnSpec(header, key, required=required, help=help, example=example)


def _region_column(what: str, levels: str) -> ColumnSpec:
    return _column(
        REGION_HEADER,
        "region",
        True,
        f"{what}所在{levels}的区划代码（12 位，网格 15 位），须在您的管理范围内。",
        "340223100001",
    )


def _choice_labels(choices: type) -> str:
    """The labels a file may hold, as the column rules state them: in the site's language
    (the templates are Chinese files), whichever language the module is first loaded in."""
    with translation.override(settings.LANGUAGE_CODE):
        return "、".join(str(label) for code, label in choices.choices if code)  # type: ignore[attr-defined]


# --- buildings ----------------------------------------------------------------------------


class BuildingSpec(TableSpec):
    kind = "buildings"
    label = "楼栋"
    registry = True
    model = Building
    duplicate_what = "同一区划的楼栋地址"
    KINDS = cells.choice_map(Building.Kind)
    columns = (
        _region_column("楼栋", "社区/村或网格"),
        _column("楼栋名称", "name", True, "如 3栋、张家村12号，最多100字。", "3栋"),
        _column(
            "地址",
            "address",
            True,
            "楼栋的完整地址，同一区划内不能重复（用于识别同一楼栋）。",
            "籍山镇春谷路8号3栋",
        ),
        _column("类型", "kind", False, f"{_choice_labels(Building.Kind)} 之一，默认住宅。", "住宅"),
        _column("层数", "floors", False, "0 至 200 的整数。", "6"),
        _column("单元数", "units", False, "0 至 100 的整数。", "2"),
        _column("经度", "lng", False, "WGS84/CGCS2000 经度（天地图坐标），73 至 136。", "118.3336"),
        _column("纬度", "lat", False, "WGS84/CGCS2000 纬度，3 至 54。", "30.9197"),
    )

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        parsed = self._start(row, number, ctx)
        errors, values = parsed.errors, parsed.values
        values["name"] = cells.text(
            row.get("name", ""), "楼栋名称", errors, max_length=100, required=True
        )
        values["address"] = cells.text(
            row.get("address", ""), "地址", errors, max_length=200, required=True
        )
        _keep(
            values,
            kind=cells.choice(row.get("kind", ""), "类型", errors, self.KINDS),
            floors=cells.integer(row.get("floors", ""), "层数", errors, minimum=0, maximum=200),
            units=cells.integer(row.get("units", ""), "单元数", errors, minimum=0, maximum=100),
            lng=cells.number(row.get("lng", ""), "经度", errors, minimum=73, maximum=136),
            lat=cells.number(row.get("lat", ""), "纬度", errors, minimum=3, maximum=54),
        )
        if parsed.region is not None and values["address"]:
            parsed.key = (parsed.region.id, values["address"])
        return parsed

    def _existing(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        rows = self._in_regions(
            chunk,
            "address",
            "id",
            "region_id",
            "region_code",
            "name",
            "address",
            "kind",
            "floors",
            "units",
            "lng",
            "lat",
        )
        return {(r["region_id"], r["address"]): r for r in rows}

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        kinds = dict(Building.Kind.choices)
        rows = (
            Building.objects.visible_to(scope)
            .order_by("region_code", "address")
            .values("region_code", "name", "address", "kind", "floors", "units", "lng", "lat")
        )
        for r in rows.iterator(chunk_size=2000):
            yield {**r, "region": r["region_code"], "kind": kinds.get(r["kind"], r["kind"])}


# --- households ---------------------------------------------------------------------------


class HouseholdSpec(BuildingLookup, TableSpec):
    """户: the number is unique within the community (its grids included), as people know
    it (people.services); a household may move between the grids of its community."""

    kind = "households"
    label = "户"
    registry = True
    model = Household
    duplicate_what = "同一社区/村的户编号"
    hashed = {"phone": "phone_hash"}
    pii = frozenset({"phone"})
    TYPES = cells.choice_map(ResidenceType)
    columns = (
        _region_column("户", "社区/村或网格"),
        _column(
            "户编号",
            "number",
            True,
            "社区/村内唯一的户编号，最多40字（用于识别同一户：已登记的户编号会更新该户，"
            "包括调整到本社区/村的其他网格）。",
            "LY-0001",
        ),
        _column("地址", "address", True, "户的地址，最多200字。", "籍山镇春谷路8号3栋2单元301"),
        _column(
            "楼栋地址",
            "building",
            False,
            "所在楼栋的地址（与楼栋表的“地址”一致，须在同一社区/村中已登记）；可留空。",
            "籍山镇春谷路8号3栋",
        ),
        _column("户类型", "residence_type", False, "户籍、常住、流动 之一，默认户籍。", "户籍"),
        _column(
            "联系电话",
            "phone",
            False,
            "11 位手机号。导出时脱敏；脱敏的号码（含 *）导入时保留原值。",
            "13812345678",
        ),
    )

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        parsed = self._start(row, number, ctx)
        errors, values = parsed.errors, parsed.values
        values["number"] = cells.text(
            row.get("number", ""), "户编号", errors, max_length=40, required=True
        )
        values["address"] = cells.text(
            row.get("address", ""), "地址", errors, max_length=200, required=True
        )
        building = cells.text(row.get("building", ""), "楼栋地址", errors, max_length=200)
        if building:
            parsed.extra["building"] = building
        _keep(
            values,
            residence_type=cells.choice(
                row.get("residence_type", ""), "户类型", errors, self.TYPES
            ),
        )
        phone = cells.mobile(row.get("phone", ""), "联系电话", errors)
        if phone:
            values["phone"] = phone
            values["phone_hash"] = ctx.hash(phone)
        if parsed.region is not None and values["number"]:
            parsed.key = (parsed.region.code[:12], values["number"])
        return parsed

    def check_chunk(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        self._resolve_buildings(ctx, chunk)
        for parsed in chunk:
            if parsed.key is None:
                continue
            community, number = cast(tuple[str, str], parsed.key)
            ids = _community_index(ctx, Household, "number", community).get(number, ())
            if len(ids) > 1:
                parsed.errors.append(
                    _("本社区/村已有多户的户编号为“%(number)s”，请先在页面上核对")
                    % {"number": number}
                )
            elif ids:
                parsed.extra["exists"] = True

    def _existing(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        communities = {p.key[0] for p in chunk if p.key is not None}  # type: ignore[index]
        if not communities:
            return {}
        in_communities = models.Q()
        for community in communities:
            in_communities |= models.Q(**prefix_range("region_code", community))
        rows: Any = Household.objects.filter(
            in_communities, number__in={p.values["number"] for p in chunk}
        ).values(
            "id",
            "region_id",
            "region_code",
            "number",
            "address",
            "building_id",
            "residence_type",
            "phone_hash",
        )
        return {(r["region_code"][:12], r["number"]): r for r in rows}

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        types = dict(Household._meta.get_field("residence_type").choices or ())
        rows = (
            Household.objects.visible_to(scope)
            .order_by("region_code", "number")
            .values(
                "region_code", "number", "address", "building__address", "residence_type", "phone"
            )
        )
        for r in rows.iterator(chunk_size=2000):
            yield {
                "region": r["region_code"],
                "number": r["number"],
                "address": r["address"],
                "building": r["building__address"] or "",
                "residence_type": types.get(r["residence_type"], r["residence_type"]),
                "phone": mask_phone(r["phone"]) if r["phone"] else "",
            }


# --- residents ----------------------------------------------------------------------------

TAGS = cells.choice_map(Tag)
TAG_LABELS = {str(code): str(label) for code, label in Tag.choices}
DISABILITY_KINDS = cells.choice_map(ResidentTag.DisabilityKind)
GRADES = {
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "一级": 1,
    "二级": 2,
    "三级": 3,
    "四级": 4,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
}
_FULL_WIDTH_X = str.maketrans({"ｘ": "X", "Ｘ": "X", "x": "X"})


class ResidentSpec(TableSpec):
    kind = "residents"
    label = "居民"
    registry = True
    model = Resident
    duplicate_what = "身份证号"
    lookup_columns = ("id_number_hash",)
    hashed = {"phone": "phone_hash", "id_number": "id_number_hash"}
    pii = frozenset({"phone", "id_number"})
    RELATIONS = cells.choice_map(Resident.Relation)
    TYPES = cells.choice_map(ResidenceType)
    STATUSES = cells.choice_map(Resident.Status)
    GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F", "m": "M", "f": "F"}
    columns = (
        _column("姓名", "name", True, "最多50字。", "张三"),
        _column(
            "身份证号",
            "id_number",
            True,
            "18 位居民身份证号（GB 11643，校验位须正确，末位可为 X），用于识别同一居民："
            "已登记的身份证号会更新该居民。导出时脱敏，脱敏的号码不能导入。",
            "340223199001011233",
        ),
        _column(
            "性别", "gender", False, "男 或 女；可留空（按身份证号）。须与身份证号一致。", "男"
        ),
        _column(
            "出生日期",
            "birth_date",
            False,
            "如 1990-01-01；可留空（按身份证号）。须与身份证号一致。",
            "1990-01-01",
        ),
        _column(
            "手机号",
            "phone",
            False,
            "11 位手机号。导出时脱敏；脱敏的号码（含 *）导入时保留原值。",
            "13812345678",
        ),
        _region_column("居民", "社区/村或网格"),
        _column(
            "户编号",
            "household",
            False,
            "所在户的户编号（须在同一社区/村中已登记，请先导入户）；可留空。",
            "LY-0001",
        ),
        _column(
            "与户主关系",
            "relation",
            False,
            f"{_choice_labels(Resident.Relation)} 之一，默认其他。填“户主”时设为该户户主。",
            "户主",
        ),
        _column("居住类型", "residence_type", False, "户籍、常住、流动 之一，默认户籍。", "户籍"),
        _column(
            "状态", "status", False, f"{_choice_labels(Resident.Status)} 之一，默认在册。", "在册"
        ),
        _column(
            "标签",
            "tags",
            False,
            f"可填多个，用顿号或逗号分隔：{_choice_labels(Tag)}。"
            "导入只增加标签，不会删除已有标签。",
            "高龄、独居",
        ),
        _column(
            "残疾类别",
            "disability_kind",
            False,
            f"标签含“残疾”时可填：{_choice_labels(ResidentTag.DisabilityKind)}。",
            "肢体",
        ),
        _column(
            "残疾等级",
            "disability_grade",
            False,
            "标签含“残疾”时可填：一级至四级（或 1-4）。",
            "二级",
        ),
    )

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        # The hot loop of a 400 k-row import: the usual (valid) cell takes the short path.
        parsed = Parsed(number)
        errors = parsed.errors
        values = parsed.values
        name = row.get("name", "")
        if 0 < len(name) <= 50:
            values["name"] = name
        else:
            values["name"] = cells.text(name, "姓名", errors, max_length=50, required=True)
        id_number = row.get("id_number", "")
        if not (len(id_number) == 18 and id_number[:17].isdigit() and id_number[17] != "x"):
            id_number = id_number.replace(" ", "").translate(_FULL_WIDTH_X)
        id_birth: datetime.date | None = None
        id_gender = ""
        if not id_number:
            errors.append(_("请填写身份证号"))
        elif "*" in id_number:
            errors.append(_("身份证号为脱敏值（导出文件中的号码已隐藏），请填写完整号码"))
        else:
            id_birth = id_number_birth(id_number)
            if id_birth is None:
                errors.append(_(id_number_error(id_number) or "身份证号无效"))
            elif id_birth > ctx.today:
                errors.append(_("身份证号中的出生日期晚于今天"))
                id_birth = None
            else:
                id_gender = "M" if int(id_number[16]) % 2 else "F"
                parsed.key = ctx.hash(id_number)
                values["id_number"] = id_number
                values["id_number_hash"] = parsed.key
                values["birth_date"] = id_birth
                values["gender"] = id_gender
        gender = row.get("gender")
        if gender:
            code = self.GENDERS.get(gender)
            if code is None:
                errors.append(_("性别应填“男”或“女”"))
            elif id_gender and code != id_gender:
                errors.append(_("性别与身份证号不一致"))
        birth_text = row.get("birth_date")
        if birth_text:
            birth = cells.date(birth_text, "出生日期", errors)
            if birth is not None and id_birth is not None and birth != id_birth:
                errors.append(_("出生日期与身份证号不一致"))
        phone = row.get("phone")
        if phone:
            if not (len(phone) == 11 and phone.isdigit() and phone[0] == "1" and phone[1] > "2"):
                phone = cells.mobile(phone, "手机号", errors)
            if phone:
                values["phone"] = phone
                values["phone_hash"] = ctx.hash(phone)
        ref = ctx.region(row.get("region", ""), self.region_levels, errors, registry=True)
        if ref is not None:
            parsed.region = ref
            values["region_id"] = ref.id
            values["region_code"] = ref.code
        household = row.get("household")
        if household:
            if len(household) > 40:
                cells.text(household, "户编号", errors, max_length=40)
            else:
                parsed.extra["household"] = household
        relation = row.get("relation")
        if relation:
            relation = values["relation"] = cells.choice(
                relation, "与户主关系", errors, self.RELATIONS
            )
            if relation is None:
                del values["relation"]
            elif relation == Resident.Relation.HEAD and not household:
                errors.append(_("与户主关系为“户主”时须填写户编号"))
        for key, header, choices in (
            ("residence_type", "居住类型", self.TYPES),
            ("status", "状态", self.STATUSES),
        ):
            text = row.get(key)
            if text:
                value = choices.get(text) or cells.choice(text, header, errors, choices)
                if value:
                    values[key] = value
        if row.get("tags") or row.get("disability_kind") or row.get("disability_grade"):
            self._parse_tags(row, parsed, ctx.today)
        return parsed

    def _parse_tags(self, row: Mapping[str, str], parsed: Parsed, today: datetime.date) -> None:
        errors = parsed.errors
        tags: list[str] = []
        for label in cells.split_list(row.get("tags", "")):
            tag = TAGS.get(label)
            if tag is None:
                errors.append(
                    _("未知标签“%(tag)s”，可填：%(labels)s")
                    % {"tag": label[:20], "labels": _choice_labels(Tag)}
                )
            elif tag not in tags:
                tags.append(tag)
        kind = cells.choice(row.get("disability_kind", ""), "残疾类别", errors, DISABILITY_KINDS)
        grade_text = row.get("disability_grade", "")
        grade = GRADES.get(grade_text) if grade_text else None
        if grade_text and grade is None:
            errors.append(_("残疾等级应为一级至四级"))
        if Tag.DISABILITY in tags:
            # As on the page (people.services): a disability tag has its kind and grade.
            if not kind and not row.get("disability_kind"):
                errors.append(_("标签含“残疾”时须填写残疾类别"))
            if not grade and not grade_text:
                errors.append(_("标签含“残疾”时须填写残疾等级"))
        elif kind or grade:
            errors.append(_("填写了残疾类别或等级，但标签中没有“残疾”"))
        birth = parsed.values.get("birth_date")
        if birth is not None:
            age = birth_age(birth, today)
            for tag in tags:
                label = TAG_LABELS[tag]
                if tag in TAG_MIN_AGE and age < TAG_MIN_AGE[tag]:
                    errors.append(
                        _("“%(label)s”标签适用于%(n)d周岁及以上的居民")
                        % {"label": label, "n": TAG_MIN_AGE[tag]}
                    )
                if tag in TAG_MAX_AGE and age > TAG_MAX_AGE[tag]:
                    errors.append(
                        _("“%(label)s”标签适用于未满%(n)d周岁的居民")
                        % {"label": label, "n": TAG_MAX_AGE[tag] + 1}
                    )
        if tags:
            parsed.extra["tags"] = tags
        if kind:
            parsed.extra["disability_kind"] = kind
        if grade:
            parsed.extra["disability_grade"] = grade

    def track(self, ctx: Context, parsed: Parsed) -> None:
        # One head per household in a file: the second "户主" of a household is an error.
        number = parsed.extra.get("household")
        if (
            parsed.values.get("relation") != Resident.Relation.HEAD
            or not number
            or not parsed.region
        ):
            return
        heads = ctx.lookups.setdefault("household_heads", {})
        first = heads.setdefault((parsed.region.code[:12], number), parsed.number)
        if first != parsed.number:
            parsed.errors.append(
                _("户编号“%(number)s”在第%(row)d行已有户主") % {"number": number, "row": first}
            )

    def share_work(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        # New rows get their pinyin keys and their encrypted ID number and phone here: the
        # writer has the SQL, the index rebuild and the tags. Encrypted values travel as the
        # token's bytes (see bulk._encrypted).
        new = [p.values for p in chunk if not p.extra.get("exists")]
        for values in new:
            values["name_pinyin"], values["name_initials"] = name_keys_fast(values["name"])
        for name in ("id_number", "phone"):
            having = [values for values in new if values.get(name)]
            tokens = ctx.cipher.encrypt_many([values[name] for values in having])
            for values, token in zip(having, tokens, strict=True):
                values[name] = token.encode()

    preloads_keys = True

    def preload_keys(self, ctx: Context) -> None:
        # Every stored ID (blind index → region): a bulk load adds at least as many rows as
        # the table holds, so this is at most half of the file's keys.
        stored = Resident.objects.exclude(id_number_hash="").values_list(
            "id_number_hash", "region_code"
        )
        ctx.lookups["stored_ids"] = dict(stored)  # fetched at once: no cursor stays open

    def _resolve_households(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        for parsed in chunk:
            number = parsed.extra.get("household")
            if not number or parsed.region is None:
                continue
            ids = _community_index(ctx, Household, "number", parsed.region.code).get(number, ())
            if len(ids) == 1:
                parsed.values["household_id"] = ids[0]
            elif not ids:
                parsed.errors.append(
                    _("户编号“%(number)s”在本社区/村中未登记（请先导入户）") % {"number": number}
                )
            else:
                parsed.errors.append(
                    _("户编号“%(number)s”在本社区/村中对应多户") % {"number": number}
                )

    def check_chunk(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        self._resolve_households(ctx, chunk)
        keyed = {p.key: p for p in chunk if p.key is not None}
        preloaded = ctx.lookups.get("stored_ids")
        found = (
            [(key, preloaded[key]) for key in keyed if key in preloaded]
            if preloaded is not None
            else select_in(Resident, ("id_number_hash", "region_code"), "id_number_hash", keyed)
        )
        for id_hash, region_code in found:
            parsed = keyed[id_hash]
            parsed.extra["exists"] = True
            if not ctx.scope.covers(region_code):
                parsed.errors.append(
                    _(
                        "该身份证号已由您管理范围以外的辖区登记，不能导入（居民迁入请先由原辖区办理迁出）"
                    )
                )

    def write_chunk(self, ctx: Context, chunk: Sequence[Parsed], report: ImportReport) -> None:
        fields = (
            "id",
            "id_number_hash",
            "region_id",
            "region_code",
            "household_id",
            "name",
            "gender",
            "birth_date",
            "phone_hash",
            "relation",
            "residence_type",
            "status",
        )
        stored: dict[Hashable, dict[str, Any]] = {}
        if any(p.extra.get("exists") for p in chunk):
            stored = {
                row[1]: dict(zip(fields, row, strict=True))
                for row in Resident.objects.filter(
                    id_number_hash__in=[p.key for p in chunk]
                ).values_list(*fields)
            }
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        moves: list[dict[str, Any]] = []
        changed_rows: set[int] = set()
        for parsed in chunk:
            values = parsed.values
            current = stored.get(parsed.key)
            if current is None:
                if "name_pinyin" not in values:
                    values["name_pinyin"], values["name_initials"] = name_keys_fast(values["name"])
                inserts.append(values)
                report.created += 1
                continue
            changed = self._changes(parsed, current)
            if "name" in changed:
                changed["name_pinyin"], changed["name_initials"] = name_keys_fast(values["name"])
            if not changed:
                continue
            changed.pop("id_number", None)
            updates.append((current["id"], changed))
            changed_rows.add(parsed.number)
            if "region_id" in changed or "household_id" in changed:
                moves.append(
                    {
                        "resident_id": current["id"],
                        "region_id": values["region_id"],
                        "region_code": values["region_code"],
                        "from_household_id": current["household_id"],
                        "to_household_id": values.get("household_id", current["household_id"]),
                        "from_region_code": current["region_code"],
                        "reason": ctx.reason[:200],
                        "moved_on": ctx.today,
                    }
                )
            ctx.audit_update(
                Resident,
                current["id"],
                values["name"],
                values["region_code"],
                {
                    name: (
                        "****" if name in self.pii else current.get(name),
                        (mask_phone(value) if name == "phone" else mask_id_number(value))
                        if name in self.pii
                        else value,
                    )
                    for name, value in changed.items()
                    if not name.endswith("_hash") and name not in ("name_pinyin", "name_initials")
                },
            )
        new_ids = ctx.writer(Resident).insert_with_ids(inserts)
        ctx.writer(Resident).update(updates)
        if moves:
            ctx.writer(ResidentMove).insert(moves)
            moved = [m["resident_id"] for m in moves]
            ResidentTag.objects.filter(resident_id__in=moved).update(
                region_id=models.Subquery(
                    Resident.objects.filter(pk=models.OuterRef("resident_id")).values("region_id")[
                        :1
                    ]
                ),
                region_code=models.Subquery(
                    Resident.objects.filter(pk=models.OuterRef("resident_id")).values(
                        "region_code"
                    )[:1]
                ),
            )
        ids = {key: row["id"] for key, row in stored.items()}
        if new_ids is not None:
            ids.update(zip((values["id_number_hash"] for values in inserts), new_ids, strict=True))
        changed_rows |= self._write_tags_and_heads(ctx, chunk, stored, ids)
        updated = sum(1 for p in chunk if p.key in stored and p.number in changed_rows)
        report.updated += updated
        report.unchanged += sum(1 for p in chunk if p.key in stored) - updated

    def _write_tags_and_heads(
        self,
        ctx: Context,
        chunk: Sequence[Parsed],
        stored: Mapping[Hashable, Mapping[str, Any]],
        ids: dict[Hashable, int],
    ) -> set[int]:
        """Add missing tags, update disability details, set household heads; the rows changed.
        `ids`: the resident ids known so far by natural key (the others are looked up)."""
        wanted = [
            p
            for p in chunk
            if "tags" in p.extra
            or (p.values.get("relation") == Resident.Relation.HEAD and "household_id" in p.values)
        ]
        if not wanted:
            return set()
        missing = [p.key for p in wanted if p.key not in ids]
        ids.update(select_in(Resident, ("id_number_hash", "id"), "id_number_hash", missing))
        changed: set[int] = set()
        # Tags: never removed by an import, added when missing, disability details updated.
        tagged = [p for p in wanted if "tags" in p.extra]
        existing_tags: dict[tuple[int, str], dict[str, Any]] = {}
        if tagged:
            rows: Any = ResidentTag.objects.filter(
                resident_id__in=[ids[p.key] for p in tagged if p.key in stored]
            ).values("id", "resident_id", "tag", "disability_kind", "disability_grade")
            for row in rows:
                existing_tags[(row["resident_id"], row["tag"])] = row
        tag_inserts: list[dict[str, Any]] = []
        tag_updates: list[tuple[int, dict[str, Any]]] = []
        for parsed in tagged:
            resident_id = ids[parsed.key]
            for tag in parsed.extra["tags"]:
                details: dict[str, Any] = {}
                if tag == Tag.DISABILITY:
                    if "disability_kind" in parsed.extra:
                        details["disability_kind"] = parsed.extra["disability_kind"]
                    if "disability_grade" in parsed.extra:
                        details["disability_grade"] = parsed.extra["disability_grade"]
                current = existing_tags.get((resident_id, tag))
                if current is None:
                    tag_inserts.append(
                        {
                            "resident_id": resident_id,
                            "region_id": parsed.values["region_id"],
                            "region_code": parsed.values["region_code"],
                            "tag": tag,
                            **details,
                        }
                    )
                    changed.add(parsed.number)
                    continue
                delta = {k: v for k, v in details.items() if current[k] != v}
                if delta:
                    tag_updates.append((current["id"], delta))
                    changed.add(parsed.number)
        ctx.writer(ResidentTag).insert(tag_inserts)
        ctx.writer(ResidentTag).update(tag_updates)
        # Household heads: "户主" makes the resident the head of the household.
        heads = {
            p.values["household_id"]: (ids[p.key], p.number)
            for p in wanted
            if p.values.get("relation") == Resident.Relation.HEAD and "household_id" in p.values
        }
        if heads:
            current_heads = dict(select_in(Household, ("id", "head_id"), "id", heads))
            head_updates = {
                household_id: resident_id
                for household_id, (resident_id, _number) in heads.items()
                if current_heads.get(household_id) != resident_id
            }
            changed |= {heads[household_id][1] for household_id in head_updates}
            if connection.vendor == "postgresql":
                # Set once every resident is written (`finish_write`); the file names one head
                # per household at most (`track`), so the order of the batches does not matter.
                ctx.lookups.setdefault("heads_to_set", {}).update(head_updates)
            else:
                # SQLite updates only the head's own index: each batch's heads, beside validation.
                ctx.writer(Household).update(
                    (household_id, {"head_id": resident_id})
                    for household_id, resident_id in head_updates.items()
                )
        return changed

    def finish_write(self, ctx: Context, report: ImportReport) -> None:
        # PostgreSQL: the heads of the whole file in one statement from arrays (ADR 0107).
        pending = ctx.lookups.pop("heads_to_set", None)
        if not pending:
            return
        # A head change writes an entry into each of the household table's eleven indexes;
        # when a bulk load sets the heads of most households, rebuilding them costs less.
        rebuild = ctx.bulk_load and 2 * len(pending) >= table_row_count(Household)
        with deferred_indexes(Household) if rebuild else contextlib.nullcontext():
            ctx.writer(Household).update(
                (household_id, {"head_id": resident_id})
                for household_id, resident_id in sorted(pending.items())
            )

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        relations = dict(Resident.Relation.choices)
        types = dict(Resident._meta.get_field("residence_type").choices or ())
        statuses = dict(Resident.Status.choices)
        tag_labels = dict(Tag.choices)
        kinds = dict(ResidentTag.DisabilityKind.choices)
        genders = dict(Resident.Gender.choices)
        rows = (
            Resident.objects.visible_to(scope)
            .order_by("region_code", "id")
            .values(
                "id",
                "name",
                "id_number",
                "gender",
                "birth_date",
                "phone",
                "region_code",
                "household__number",
                "relation",
                "residence_type",
                "status",
            )
        )
        batch: list[dict[str, Any]] = []
        for row in rows.iterator(chunk_size=2000):
            batch.append(row)
            if len(batch) >= 2000:
                yield from self._export_batch(
                    batch, relations, types, statuses, tag_labels, kinds, genders
                )
                batch = []
        yield from self._export_batch(batch, relations, types, statuses, tag_labels, kinds, genders)

    def _export_batch(
        self,
        batch: list[dict[str, Any]],
        *labels: Mapping[str, Any],
    ) -> Iterator[dict[str, Any]]:
        relations, types, statuses, tag_labels, kinds, genders = labels
        tags: dict[int, list[dict[str, Any]]] = defaultdict(list)
        if batch:
            rows: Any = (
                ResidentTag.objects.filter(resident_id__in=[r["id"] for r in batch])
                .order_by("tag")
                .values("resident_id", "tag", "disability_kind", "disability_grade")
            )
            for tag in rows:
                tags[tag["resident_id"]].append(tag)
        for r in batch:
            own = tags.get(r["id"], [])
            disability = next((t for t in own if t["tag"] == Tag.DISABILITY), None)
            yield {
                "name": r["name"],
                "id_number": mask_id_number(r["id_number"]) if r["id_number"] else "",
                "gender": genders.get(r["gender"], ""),
                "birth_date": r["birth_date"],
                "phone": mask_phone(r["phone"]) if r["phone"] else "",
                "region": r["region_code"],
                "household": r["household__number"] or "",
                "relation": relations.get(r["relation"], ""),
                "residence_type": types.get(r["residence_type"], ""),
                "status": statuses.get(r["status"], ""),
                "tags": "、".join(str(tag_labels.get(t["tag"], t["tag"])) for t in own),
                "disability_kind": kinds.get(disability["disability_kind"], "")
                if disability
                else "",
                "disability_grade": (
                    f"{'一二三四'[disability['disability_grade'] - 1]}级"
                    if disability and disability["disability_grade"]
                    else ""
                ),
            }


# --- organisations ------------------------------------------------------------------------


class OrganisationSpec(TableSpec):
    kind = "organisations"
    label = "组织"
    model = Organisation
    region_levels = ("county", "town", "community", "grid")
    duplicate_what = "同一区划、同一类型的组织名称"
    pii = frozenset({"contact_phone"})
    KINDS = cells.choice_map(Organisation.Kind)
    PARTY_LEVELS = cells.choice_map(Organisation.PartyLevel)
    columns = (
        _region_column("组织", "县、镇/街道、社区/村或网格"),
        _column("名称", "name", True, "组织全称，最多150字。", "陵阳社区志愿服务队"),
        _column("类型", "kind", True, f"{_choice_labels(Organisation.Kind)} 之一。", "志愿服务队"),
        _column(
            "党组织层级",
            "party_level",
            False,
            f"仅党组织填写：{_choice_labels(Organisation.PartyLevel)}。",
            "",
        ),
        _column(
            "统一社会信用代码",
            "credit_code",
            False,
            "18 位（GB 32100，校验位须正确）；可留空。",
            "",
        ),
        _column("经常性参与社区服务", "is_regular_service", False, "是 或 否。", "是"),
        _column("品牌社会组织/服务项目", "is_brand", False, "是 或 否。", "否"),
        _column("联系人", "contact_name", False, "最多50字。", "李四"),
        _column(
            "联系电话",
            "contact_phone",
            False,
            "手机号或带区号的固定电话。导出时脱敏；脱敏的号码（含 *）导入时保留原值。",
            "0553-6812345",
        ),
        _column("成立日期", "founded_on", False, "如 2020-05-01。", "2020-05-01"),
        _column("存续", "is_active", False, "是 或 否，默认是。", "是"),
        _column(
            "上级组织",
            "parent",
            False,
            "上级组织的统一社会信用代码，或其全称（本行区划或上级区划中已登记的组织，"
            "也可以是本文件中的另一行）；可留空，留空不改变已登记的上级组织。"
            "党组织的上级应为党组织。",
            "",
        ),
    )

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        parsed = self._start(row, number, ctx)
        errors, values = parsed.errors, parsed.values
        values["name"] = cells.text(
            row.get("name", ""), "名称", errors, max_length=150, required=True
        )
        parent = cells.text(row.get("parent", ""), "上级组织", errors, max_length=150)
        if parent:
            parsed.extra["parent"] = parent
        kind = row.get("kind", "")
        if not kind:
            errors.append(_("请填写类型"))
        values["kind"] = cells.choice(kind, "类型", errors, self.KINDS)
        party_level = cells.choice(
            row.get("party_level", ""), "党组织层级", errors, self.PARTY_LEVELS
        )
        if party_level:
            if values["kind"] and values["kind"] != Organisation.Kind.PARTY:
                errors.append(_("只有党组织可以填写党组织层级"))
            values["party_level"] = party_level
        credit_code = row.get("credit_code", "").upper()
        if credit_code:
            message = credit_code_error(credit_code)
            if message:
                errors.append(_(message))
            values["credit_code"] = credit_code
        for key, header in (
            ("is_regular_service", "经常性参与社区服务"),
            ("is_brand", "品牌社会组织/服务项目"),
            ("is_active", "存续"),
        ):
            flag = cells.boolean(row.get(key, ""), header, errors)
            if flag is not None:
                values[key] = flag
        _keep(
            values,
            contact_name=cells.text(row.get("contact_name", ""), "联系人", errors, max_length=50),
            contact_phone=cells.contact_phone(row.get("contact_phone", ""), "联系电话", errors),
            founded_on=cells.date(row.get("founded_on", ""), "成立日期", errors),
        )
        if parsed.region is not None and values["name"] and values["kind"]:
            parsed.key = (parsed.region.id, values["kind"], values["name"])
        return parsed

    def _existing(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        # Organisations are few: the contact phone (no blind index) is compared decrypted.
        rows = self._in_regions(
            chunk,
            "name",
            "id",
            "region_id",
            "region_code",
            "kind",
            "name",
            "party_level",
            "credit_code",
            "is_regular_service",
            "is_brand",
            "contact_name",
            "contact_phone",
            "founded_on",
            "is_active",
        )
        return {(r["region_id"], r["kind"], r["name"]): r for r in rows}

    # -- 上级组织: a reference to a stored organisation or to another row of the file --

    def track(self, ctx: Context, parsed: Parsed) -> None:
        if parsed.key is None or parsed.region is None:
            return
        ctx.lookups.setdefault("file_orgs", []).append(
            (
                parsed.number,
                parsed.key,
                parsed.region.code,
                parsed.values.get("credit_code", ""),
                parsed.extra.get("parent", ""),
            )
        )

    def finish_check(self, ctx: Context) -> Mapping[int, list[str]]:
        """Resolve every 上级组织 against the stored organisations and the file's rows
        together (a parent may stand anywhere in the file), then refuse cycles."""
        file_orgs = ctx.lookups.get("file_orgs") or []
        if not any(parent for *_rest, parent in file_orgs):
            return {}
        stored = OrgLookup.of(ctx)
        # The organisations as they will be once written: the file's rows over the stored ones.
        nodes: dict[tuple[int, str, str], OrgRow] = {}
        for number, key, code, credit_code, _parent in file_orgs:
            region_id, kind, name = key
            old = stored.by_key.get(key)
            nodes[key] = OrgRow(
                old.id if old else -number,
                region_id,
                code,
                kind,
                name,
                credit_code or (old.credit_code if old else ""),
                old.parent_id if old else None,
            )
        combined = OrgLookup([r for k, r in stored.by_key.items() if k not in nodes])
        for row in nodes.values():
            combined.add(row)
        errors: dict[int, list[str]] = defaultdict(list)
        parents: dict[int, int] = {}  # node id → parent id, for the rows that set one
        kinds = dict(Organisation.Kind.choices)
        for number, key, code, _credit, text in file_orgs:
            if not text:
                continue
            node = nodes[key]
            parent, message = combined.resolve_above(_("上级组织"), text, ctx.regions, code)
            if parent is None:
                errors[number].append(cast(str, message))
            elif parent.id == node.id:
                errors[number].append(_("上级组织不能是本组织"))
            elif node.kind == Organisation.Kind.PARTY and parent.kind != node.kind:
                errors[number].append(
                    _("党组织的上级组织应为党组织（“%(name)s”是%(kind)s）")
                    % {"name": parent.name[:40], "kind": kinds.get(parent.kind, "")}
                )
            else:
                parents[node.id] = parent.id
        for number, key, *_rest in file_orgs:
            own = nodes[key].id
            if own not in parents:
                continue
            seen = {own}
            above: int | None = parents[own]
            while above is not None and above not in seen:
                seen.add(above)
                upper = combined.by_id.get(above)
                above = parents.get(above, upper.parent_id if upper else None)
            if above == own:
                errors[number].append(_("上级组织不能是本组织的下级组织（上下级形成循环）"))
        return errors

    def write_chunk(self, ctx: Context, chunk: Sequence[Parsed], report: ImportReport) -> None:
        states = self._upsert(ctx, chunk, report)
        links = ctx.lookups.setdefault("parent_links", [])
        for parsed in chunk:
            if "parent" in parsed.extra:
                region_code = parsed.values["region_code"]
                links.append((parsed.number, parsed.key, region_code, parsed.extra["parent"]))
                ctx.lookups.setdefault("states", {})[parsed.number] = states[parsed.number]

    def finish_write(self, ctx: Context, report: ImportReport) -> None:
        """Set the parents once every row of the file is stored (a parent may come later)."""
        links = ctx.lookups.get("parent_links")
        if not links:
            return
        lookup = OrgLookup.load(ctx.scope)
        regions = ctx.regions or region_refs()
        updates: list[tuple[int, dict[str, Any]]] = []
        for number, key, region_code, text in links:
            row = lookup.by_key.get(key)
            found = lookup.find_above(text, regions, region_code)
            if row is None or len(found) != 1:  # pragma: no cover - a concurrent change
                raise Conflict(
                    "import_conflict",
                    _("导入期间数据被他人修改（第%(row)d行：上级组织），未导入任何数据，请重新导入")
                    % {"row": number},
                )
            parent = found[0]
            if row.parent_id == parent.id:
                continue
            updates.append((row.id, {"parent_id": parent.id}))
            state = ctx.lookups["states"][number]
            if state == "unchanged":  # its only change is the parent: it counts as updated
                report.unchanged -= 1
                report.updated += 1
            if state != "created":
                old = lookup.by_id.get(row.parent_id) if row.parent_id else None
                ctx.audit_update(
                    Organisation,
                    row.id,
                    row.name,
                    row.region_code,
                    {"parent": (old.name if old else None, parent.name)},
                )
        ctx.writer(Organisation).update(updates)

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        kinds = dict(Organisation.Kind.choices)
        levels = dict(Organisation.PartyLevel.choices)
        rows = (
            Organisation.objects.visible_to(scope)
            .order_by("region_code", "kind", "name")
            .values(
                "region_code",
                "name",
                "kind",
                "party_level",
                "credit_code",
                "is_regular_service",
                "is_brand",
                "contact_name",
                "contact_phone",
                "founded_on",
                "is_active",
                "parent__credit_code",
                "parent__name",
            )
        )
        for r in rows.iterator(chunk_size=2000):
            yield {
                **r,
                "region": r["region_code"],
                "kind": kinds.get(r["kind"], r["kind"]),
                "party_level": levels.get(r["party_level"], ""),
                "is_regular_service": r["is_regular_service"],
                "contact_phone": mask_phone(r["contact_phone"]) if r["contact_phone"] else "",
                "parent": org_reference_text(r["parent__credit_code"], r["parent__name"]),
            }


# --- facilities ---------------------------------------------------------------------------


class FacilitySpec(BuildingLookup, TableSpec):
    kind = "facilities"
    label = "服务设施"
    model = Facility
    region_levels = ("county", "town", "community", "grid")
    duplicate_what = "同一区划、同一类型的设施名称"
    STATUSES = cells.choice_map(Facility.Status)
    columns = (
        _region_column("设施", "县、镇/街道、社区/村或网格"),
        _column(
            "设施类型",
            "type",
            True,
            "设施类型的名称或代码（见系统中的设施类型目录，如 养老服务站）。",
            "社区养老服务站",
        ),
        _column(
            "名称",
            "name",
            True,
            "设施名称，最多150字（同一区划、同一类型内不能重复）。",
            "陵阳社区养老服务站",
        ),
        _column("地址", "address", False, "最多200字。", "籍山镇春谷路8号"),
        _column(
            "楼栋地址",
            "building",
            False,
            "所在楼栋的地址（须在同一社区/村中已登记）；可留空。",
            "",
        ),
        _column("经度", "lng", False, "WGS84/CGCS2000 经度（天地图坐标），73 至 136。", "118.3336"),
        _column("纬度", "lat", False, "WGS84/CGCS2000 纬度，3 至 54。", "30.9197"),
        _column("建筑面积（平方米）", "building_area_m2", False, "非负数，最多两位小数。", "350"),
        _column(
            "工作日开放时间", "weekday_hours", False, "如 08:30-17:30，最多50字。", "08:30-17:30"
        ),
        _column("工作日延时开放", "extended_evening", False, "是 或 否。", "否"),
        _column("周末开放", "weekend_open", False, "是 或 否。", "是"),
        _column("运营方", "operator_name", False, "运营方名称，最多150字。", ""),
        _column(
            "运营主体",
            "operator",
            False,
            "运营主体组织的统一社会信用代码，或其全称（须已在本行区划或上级区划登记：请先导入"
            "组织）；可留空，留空不改变已登记的运营主体。新设施未填运营方时取该组织名称。",
            "",
        ),
        _column(
            "状态",
            "status",
            False,
            f"{_choice_labels(Facility.Status)} 之一，默认运营中。",
            "运营中",
        ),
    )

    def prepare(self, ctx: Context) -> None:
        types: dict[str, tuple[int, bool, str]] = {}
        for pk, code, name, active in FacilityType.objects.values_list(
            "id", "code", "name", "is_active"
        ):
            types[code] = types[code.lower()] = types[name] = (pk, active, name)
        ctx.lookups["facility_types"] = types

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        parsed = self._start(row, number, ctx)
        errors, values = parsed.errors, parsed.values
        type_text = row.get("type", "")
        found = ctx.lookups["facility_types"].get(type_text) if type_text else None
        if not type_text:
            errors.append(_("请填写设施类型"))
        elif found is None:
            errors.append(
                _("未知的设施类型“%(type)s”（请使用设施类型目录中的名称或代码）")
                % {"type": type_text[:30]}
            )
        elif not found[1]:
            errors.append(_("设施类型“%(type)s”已停用") % {"type": found[2]})
        else:
            values["type_id"] = found[0]
        values["name"] = cells.text(
            row.get("name", ""), "名称", errors, max_length=150, required=True
        )
        _keep(
            values,
            address=cells.text(row.get("address", ""), "地址", errors, max_length=200),
            lng=cells.number(row.get("lng", ""), "经度", errors, minimum=73, maximum=136),
            lat=cells.number(row.get("lat", ""), "纬度", errors, minimum=3, maximum=54),
            building_area_m2=cells.decimal(
                row.get("building_area_m2", ""),
                "建筑面积（平方米）",
                errors,
                maximum=Decimal("99999999.99"),
                places=2,
            ),
            weekday_hours=cells.text(
                row.get("weekday_hours", ""), "工作日开放时间", errors, max_length=50
            ),
            extended_evening=cells.boolean(
                row.get("extended_evening", ""), "工作日延时开放", errors
            ),
            weekend_open=cells.boolean(row.get("weekend_open", ""), "周末开放", errors),
            operator_name=cells.text(
                row.get("operator_name", ""), "运营方", errors, max_length=150
            ),
            status=cells.choice(row.get("status", ""), "状态", errors, self.STATUSES),
        )
        building = cells.text(row.get("building", ""), "楼栋地址", errors, max_length=200)
        if building:
            parsed.extra["building"] = building
        operator = cells.text(row.get("operator", ""), "运营主体", errors, max_length=150)
        if operator:
            parsed.extra["operator"] = operator
        if parsed.region is not None and values["name"] and "type_id" in values:
            parsed.key = (parsed.region.id, values["type_id"], values["name"])
        return parsed

    def check_chunk(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        self._resolve_buildings(ctx, chunk)
        super().check_chunk(ctx, chunk)
        for parsed in chunk:
            text = parsed.extra.get("operator")
            if not text or parsed.region is None:
                continue
            operator, message = OrgLookup.of(ctx).resolve_above(
                _("运营主体"), text, ctx.regions, parsed.region.code
            )
            if operator is None:
                parsed.errors.append(cast(str, message))
                continue
            parsed.values["operator_id"] = operator.id
            if not parsed.extra.get("exists") and "operator_name" not in parsed.values:
                parsed.values["operator_name"] = operator.name  # as the facility page does

    def _existing(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        rows = self._in_regions(
            chunk,
            "name",
            "id",
            "region_id",
            "region_code",
            "type_id",
            "name",
            "address",
            "building_id",
            "lng",
            "lat",
            "building_area_m2",
            "weekday_hours",
            "extended_evening",
            "weekend_open",
            "operator_name",
            "operator_id",
            "status",
        )
        return {(r["region_id"], r["type_id"], r["name"]): r for r in rows}

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        statuses = dict(Facility.Status.choices)
        rows = (
            Facility.objects.visible_to(scope)
            .order_by("region_code", "type__sort_order", "name")
            .values(
                "region_code",
                "type__name",
                "name",
                "address",
                "building__address",
                "lng",
                "lat",
                "building_area_m2",
                "weekday_hours",
                "extended_evening",
                "weekend_open",
                "operator_name",
                "operator__credit_code",
                "operator__name",
                "status",
            )
        )
        for r in rows.iterator(chunk_size=2000):
            yield {
                **r,
                "region": r["region_code"],
                "operator": org_reference_text(r["operator__credit_code"], r["operator__name"]),
                "type": r["type__name"],
                "building": r["building__address"] or "",
                "building_area_m2": r["building_area_m2"],
                "status": statuses.get(r["status"], r["status"]),
            }


# --- workers ------------------------------------------------------------------------------


class WorkerSpec(TableSpec):
    kind = "workers"
    label = "社区工作者"
    duplicate_what = "同一区划的同名工作者（手机号或出生日期相同）"
    unique_key = False  # no database constraint: always look the stored workers up
    region_levels = ("county", "town", "community", "grid")
    hashed = {"phone": "phone_hash"}
    pii = frozenset({"phone"})
    GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F"}
    columns = (
        _region_column("工作者", "县、镇/街道、社区/村或网格"),
        _column("姓名", "name", True, "最多50字。", "王五"),
        _column("性别", "gender", False, "男 或 女。", "女"),
        _column(
            "出生日期",
            "birth_date",
            False,
            "如 1985-06-01。手机号和出生日期至少填一项（与姓名、区划一起识别同一人）。",
            "1985-06-01",
        ),
        _column(
            "手机号",
            "phone",
            False,
            "11 位手机号。导出时脱敏；脱敏的号码（含 *）导入时保留原值。",
            "13912345678",
        ),
        _column(
            "学历", "education", False, "初中及以下、高中/中专、大专、本科、研究生 之一。", "本科"
        ),
        _column("入职日期", "employed_since", False, "如 2018-03-01。", "2018-03-01"),
        _column("在岗", "is_active", False, "是 或 否，默认是。", "是"),
        _column(
            "岗位",
            "positions",
            False,
            "可填多个，用顿号或逗号分隔（如 党组织书记、居/村委会主任、网格员）；"
            "岗位的任职区划为本行区划。导入只增加岗位，不结束已有岗位。",
            "网格员",
        ),
    )

    @property
    def model(self) -> type[models.Model]:  # type: ignore[override]
        return _workforce_model("Worker")

    def prepare(self, ctx: Context) -> None:
        worker = _workforce_model("Worker")
        position = _workforce_model("Position")
        ctx.lookups["educations"] = cells.choice_map(worker.Education)  # type: ignore[attr-defined]
        ctx.lookups["positions"] = cells.choice_map(position.Kind)  # type: ignore[attr-defined]
        ctx.lookups["position_labels"] = _choice_labels(position.Kind)  # type: ignore[attr-defined]

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        parsed = self._start(row, number, ctx)
        errors, values = parsed.errors, parsed.values
        values["name"] = cells.text(
            row.get("name", ""), "姓名", errors, max_length=50, required=True
        )
        gender = row.get("gender", "")
        if gender:
            if gender not in self.GENDERS:
                errors.append(_("性别应填“男”或“女”"))
            else:
                values["gender"] = self.GENDERS[gender]
        birth = cells.date(row.get("birth_date", ""), "出生日期", errors)
        if birth:
            values["birth_date"] = birth
        phone = cells.mobile(row.get("phone", ""), "手机号", errors)
        if phone:
            values["phone"] = phone
            values["phone_hash"] = ctx.hash(phone)
        _keep(
            values,
            education=cells.choice(
                row.get("education", ""), "学历", errors, ctx.lookups["educations"]
            ),
            employed_since=cells.date(row.get("employed_since", ""), "入职日期", errors),
            is_active=cells.boolean(row.get("is_active", ""), "在岗", errors),
        )
        positions: list[str] = []
        for label in cells.split_list(row.get("positions", "")):
            kind = ctx.lookups["positions"].get(label)
            if kind is None:
                errors.append(
                    _("未知岗位“%(label)s”，可填：%(labels)s")
                    % {"label": label[:20], "labels": ctx.lookups["position_labels"]}
                )
            elif kind not in positions:
                positions.append(kind)
        if positions:
            parsed.extra["positions"] = positions
        if not phone and not birth and not row.get("birth_date"):
            if row.get("phone") and cells.is_masked(row["phone"]):
                errors.append(_("手机号为脱敏值时须填写出生日期（用于识别同一人）"))
            elif not row.get("phone"):
                errors.append(_("手机号和出生日期至少填写一项（用于识别同一人）"))
        if parsed.region is not None and values["name"]:
            if phone:
                parsed.key = (parsed.region.id, values["name"], "phone", values["phone_hash"])
            elif birth:
                parsed.key = (parsed.region.id, values["name"], "birth", birth)
        return parsed

    def _existing(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        rows = self._in_regions(
            chunk,
            "name",
            "id",
            "region_id",
            "region_code",
            "name",
            "gender",
            "birth_date",
            "phone_hash",
            "education",
            "employed_since",
            "is_active",
        )
        wanted = [
            (cast(tuple[Any, ...], p.key), p.values.get("birth_date"))
            for p in chunk
            if p.key is not None
        ]
        return dict(match_workers(rows, wanted)[0])

    def write_chunk(self, ctx: Context, chunk: Sequence[Parsed], report: ImportReport) -> None:
        position = _workforce_model("Position")
        states = self._upsert(ctx, chunk, report)
        with_positions = [p for p in chunk if "positions" in p.extra]
        if not with_positions:
            return
        current = self._existing(ctx, with_positions)  # new workers have their ids now
        held = set(
            position.objects.filter(  # type: ignore[attr-defined]
                worker_id__in=[c["id"] for c in current.values()], ended_on__isnull=True
            ).values_list("worker_id", "kind", "region_id")
        )
        inserts: list[dict[str, Any]] = []
        for parsed in with_positions:
            worker = current[parsed.key]
            for kind in parsed.extra["positions"]:
                if (worker["id"], kind, parsed.values["region_id"]) in held:
                    continue
                inserts.append(
                    {
                        "worker_id": worker["id"],
                        "region_id": parsed.values["region_id"],
                        "region_code": parsed.values["region_code"],
                        "kind": kind,
                        "started_on": parsed.values.get("employed_since"),
                    }
                )
                if states.get(parsed.number) == "unchanged":
                    # Its only change is a new position: it counts as updated.
                    states[parsed.number] = "updated"
                    report.unchanged -= 1
                    report.updated += 1
        ctx.writer(position).insert(inserts)

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        worker = _workforce_model("Worker")
        position = _workforce_model("Position")
        educations = dict(worker.Education.choices)  # type: ignore[attr-defined]
        kinds = dict(position.Kind.choices)  # type: ignore[attr-defined]
        genders = dict(worker.Gender.choices)  # type: ignore[attr-defined]
        rows = list(
            worker.objects.visible_to(scope)  # type: ignore[attr-defined]
            .order_by("region_code", "name", "id")
            .values(
                "id",
                "region_code",
                "name",
                "gender",
                "birth_date",
                "phone",
                "education",
                "employed_since",
                "is_active",
            )
        )
        held: dict[int, list[str]] = defaultdict(list)
        for worker_id, kind in (
            position.objects.filter(  # type: ignore[attr-defined]
                worker_id__in=[r["id"] for r in rows], ended_on__isnull=True
            )
            .order_by("kind")
            .values_list("worker_id", "kind")
        ):
            held[worker_id].append(str(kinds.get(kind, kind)))
        for r in rows:
            yield {
                **r,
                "region": r["region_code"],
                "gender": genders.get(r["gender"], ""),
                "phone": mask_phone(r["phone"]) if r["phone"] else "",
                "education": educations.get(r["education"], ""),
                "positions": "、".join(held.get(r["id"], [])),
            }


def match_workers(
    rows: Iterable[dict[str, Any]], wanted: Iterable[tuple[tuple[Any, ...], Any]]
) -> tuple[dict[tuple[Any, ...], dict[str, Any]], set[tuple[Any, ...]]]:
    """Stored workers for identities (region_id, 姓名, "phone", phone hash) or (region_id, 姓名,
    "birth", birth date), each with the row's birth date if given: (found, ambiguous).

    A phone finds the worker with that phone; otherwise the birth date finds the one worker of
    that name born then — with a phone not on file yet, only one stored without a phone."""
    by_phone: dict[tuple[Any, ...], dict[str, Any]] = {}
    by_birth: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["phone_hash"]:
            by_phone[(r["region_id"], r["name"], "phone", r["phone_hash"])] = r
        if r["birth_date"]:
            by_birth[(r["region_id"], r["name"], r["birth_date"])].append(r)
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    ambiguous: set[tuple[Any, ...]] = set()
    for key, birth in wanted:
        if key in by_phone:
            found[key] = by_phone[key]
            continue
        candidates = by_birth.get((key[0], key[1], birth), []) if birth else []
        if key[2] == "phone":
            candidates = [c for c in candidates if not c["phone_hash"]]
        if len(candidates) == 1:
            found[key] = candidates[0]
        elif candidates:
            ambiguous.add(key)
    return found, ambiguous


class WorkerRecords(TableSpec):
    """Rows that belong to a registered worker (certificates, trainings), who is named as in
    the 社区工作者 table: 所在区划代码, 姓名, and 手机号 or 出生日期."""

    region_levels = ("county", "town", "community", "grid")
    unique_key = False  # no database constraint: always look the stored rows up
    identity_columns = (
        _region_column("工作者", "县、镇/街道、社区/村或网格"),
        _column("姓名", "name", True, "工作者姓名（须已登记为社区工作者）。", "王五"),
        _column(
            "手机号",
            "phone",
            False,
            "工作者登记的手机号；手机号和出生日期至少填一项（与姓名、区划一起找到这名工作者）。",
            "13912345678",
        ),
        _column("出生日期", "birth_date", False, "工作者的出生日期，如 1985-06-01。", ""),
    )

    def _start_worker(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        """`_start`, and the worker the row names (`extra["worker"]`: identity, birth date)."""
        parsed = self._start(row, number, ctx)
        errors = parsed.errors
        name = cells.text(row.get("name", ""), "姓名", errors, max_length=50, required=True)
        phone = cells.mobile(row.get("phone", ""), "手机号", errors)
        birth = cells.date(row.get("birth_date", ""), "出生日期", errors)
        if not phone and not birth and not row.get("birth_date"):
            if row.get("phone") and cells.is_masked(row["phone"]):
                errors.append(_("手机号为脱敏值时须填写出生日期（用于找到这名工作者）"))
            elif not row.get("phone"):
                errors.append(_("手机号和出生日期至少填写一项（用于找到这名工作者）"))
        if parsed.region is not None and name and (phone or birth):
            identity = (
                (parsed.region.id, name, "phone", ctx.hash(phone))
                if phone
                else (parsed.region.id, name, "birth", birth)
            )
            parsed.extra["worker"] = (identity, birth)
        return parsed

    def _resolve_workers(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        """`values["worker_id"]` for every row, or the error that no or several workers match."""
        wanted = [p.extra["worker"] for p in chunk if "worker" in p.extra]
        if not wanted:
            return
        rows = (
            _workforce_model("Worker")
            .objects.filter(  # type: ignore[attr-defined]
                region_id__in={identity[0] for identity, _birth in wanted},
                name__in={identity[1] for identity, _birth in wanted},
            )
            .values("id", "region_id", "name", "phone_hash", "birth_date")
        )
        found, ambiguous = match_workers(rows, wanted)
        for parsed in chunk:
            if "worker" not in parsed.extra:
                continue
            identity = parsed.extra["worker"][0]
            if identity in found:
                parsed.values["worker_id"] = found[identity]["id"]
            elif identity in ambiguous:
                parsed.errors.append(
                    _("本区划有多名同名、同出生日期的社区工作者，请填写手机号以区分")
                )
            else:
                parsed.errors.append(
                    _(
                        "未找到这名社区工作者（请先导入社区工作者，并核对所在区划、姓名、"
                        "手机号或出生日期）"
                    )
                )

    # Stored rows are matched by the worker's id and these fields (`_record_key`).
    record_fields: ClassVar[tuple[str, ...]] = ()

    def _record_key(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return (values["worker_id"], *(values[name] for name in self.record_fields))

    def check_chunk(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        self._resolve_workers(ctx, chunk)
        # The same record named twice in the file, once by phone and once by birth date.
        first_rows = ctx.lookups.setdefault("records", {})
        for parsed in chunk:
            if parsed.key is None or "worker_id" not in parsed.values:
                continue
            first = first_rows.setdefault(self._record_key(parsed.values), parsed.number)
            if first != parsed.number and not parsed.errors:
                parsed.errors.append(self.duplicate_message(first))
        super().check_chunk(ctx, chunk)

    def _existing(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        resolved = [p for p in chunk if "worker_id" in p.values]
        if not resolved:
            return {}
        rows = (
            self.model.objects.filter(  # type: ignore[attr-defined]
                worker_id__in={p.values["worker_id"] for p in resolved}
            )
            .order_by("id")
            .values("id", "region_code", *self.compared_fields)
        )
        stored: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in rows:
            stored.setdefault(self._record_key(r), r)  # the first if the page added two
        return {
            p.key: stored[self._record_key(p.values)]
            for p in resolved
            if self._record_key(p.values) in stored
        }

    compared_fields: ClassVar[tuple[str, ...]] = ()

    def _worker_export(self, scope: Scope, *fields: str) -> Iterator[dict[str, Any]]:
        rows = (
            self.model.objects.visible_to(scope)  # type: ignore[attr-defined]
            .order_by("region_code", "worker__name", "worker_id", "id")
            .values("region_code", "worker__name", "worker__phone", "worker__birth_date", *fields)
        )
        for r in rows.iterator(chunk_size=2000):
            yield {
                **r,
                "region": r["region_code"],
                "name": r["worker__name"],
                "phone": mask_phone(r["worker__phone"]) if r["worker__phone"] else "",
                "birth_date": r["worker__birth_date"],
            }


# 社会工作者职业资格 as people say it, besides the certificate's own name.
CERTIFICATE_ALIASES = {
    "助理社工师": "assistant",
    "社工师": "social_worker",
    "高级社工师": "senior",
    "社会工作专业学历": "degree",
}


class CertificateSpec(WorkerRecords):
    kind = "certificates"
    label = "职业资格证书"
    duplicate_what = "同一工作者的同一证书（取得日期相同）"
    record_fields = ("kind", "issued_on")
    compared_fields = (
        "worker_id",
        "region_id",
        "kind",
        "issued_on",
        "number",
        "expires_on",
    )
    columns = (
        *WorkerRecords.identity_columns,
        _column(
            "证书",
            "kind",
            True,
            "助理社会工作师（助理社工师）、社会工作师（社工师）、高级社会工作师（高级社工师）、"
            "社会工作专业毕业证书 之一。",
            "社会工作师",
        ),
        _column(
            "取得日期",
            "issued_on",
            True,
            "如 2021-06-20，不能晚于今天。同一工作者、同一证书、同一取得日期为同一条记录。",
            "2021-06-20",
        ),
        _column("证书编号", "number", False, "最多50字；可留空。", ""),
        _column("有效期至", "expires_on", False, "如 2026-06-19，不能早于取得日期；可留空。", ""),
    )

    @property
    def model(self) -> type[models.Model]:  # type: ignore[override]
        return _workforce_model("Certificate")

    def prepare(self, ctx: Context) -> None:
        kinds = cells.choice_map(self.model.Kind)  # type: ignore[attr-defined]
        ctx.lookups["certificate_kinds"] = {**kinds, **CERTIFICATE_ALIASES}

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        parsed = self._start_worker(row, number, ctx)
        errors, values = parsed.errors, parsed.values
        kind_text = row.get("kind", "")
        if not kind_text:
            errors.append(_("请填写证书"))
        kind = cells.choice(kind_text, "证书", errors, ctx.lookups["certificate_kinds"])
        issued = cells.date(row.get("issued_on", ""), "取得日期", errors, required=True)
        certificate_number = cells.text(row.get("number", ""), "证书编号", errors, max_length=50)
        if certificate_number:
            values["number"] = certificate_number
        expires = cells.date(row.get("expires_on", ""), "有效期至", errors, not_after_today=False)
        if expires and issued and expires < issued:
            errors.append(_("有效期不能早于取得日期"))
        elif expires:
            values["expires_on"] = expires
        if kind and issued:
            values["kind"] = kind
            values["issued_on"] = issued
            if "worker" in parsed.extra:
                parsed.key = (parsed.extra["worker"][0], kind, issued)
        return parsed

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        kinds = dict(self.model.Kind.choices)  # type: ignore[attr-defined]
        for r in self._worker_export(scope, "kind", "issued_on", "number", "expires_on"):
            yield {**r, "kind": kinds.get(r["kind"], r["kind"])}


MAX_TRAINING_DAYS = Decimal(365)


class TrainingSpec(WorkerRecords):
    kind = "trainings"
    label = "培训记录"
    duplicate_what = "同一工作者同一天开始的同一培训课程"
    record_fields = ("course", "started_on")
    compared_fields = (
        "worker_id",
        "region_id",
        "course",
        "started_on",
        "days",
        "organiser",
        "is_rotation",
    )
    columns = (
        *WorkerRecords.identity_columns,
        _column("培训课程", "course", True, "课程名称，最多150字。", "社区工作者能力提升培训"),
        _column("天数", "days", True, "大于 0，以半天为单位（如 0.5、1、3），不超过 365。", "3"),
        _column(
            "培训日期",
            "started_on",
            True,
            "培训开始的日期，如 2024-03-18，不能晚于今天。同一工作者、同一课程、同一日期为"
            "同一条记录。",
            "2024-03-18",
        ),
        _column("主办单位", "organiser", False, "最多100字；可留空。", "南陵县民政局"),
        _column(
            "集中轮训",
            "is_rotation",
            False,
            "是 或 否，默认否（社区党组织书记、居/村委会主任的集中轮训）。",
            "否",
        ),
    )

    @property
    def model(self) -> type[models.Model]:  # type: ignore[override]
        return _workforce_model("Training")

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        parsed = self._start_worker(row, number, ctx)
        errors, values = parsed.errors, parsed.values
        course = cells.text(
            row.get("course", ""), "培训课程", errors, max_length=150, required=True
        )
        days = self._days(row.get("days", ""), errors)
        started = cells.date(row.get("started_on", ""), "培训日期", errors, required=True)
        _keep(
            values,
            organiser=cells.text(row.get("organiser", ""), "主办单位", errors, max_length=100),
            is_rotation=cells.boolean(row.get("is_rotation", ""), "集中轮训", errors),
            days=days,
        )
        if course and started:
            values["course"] = course
            values["started_on"] = started
            if "worker" in parsed.extra:
                parsed.key = (parsed.extra["worker"][0], course, started)
        return parsed

    @staticmethod
    def _days(text: str, errors: list[str]) -> Decimal | None:
        """Days of training: > 0, in half days, at most a year (as `workforce.training_add`)."""
        if not text:
            errors.append(_("请填写天数"))
            return None
        try:
            days = Decimal(text.replace(",", ""))
        except InvalidOperation:
            days = Decimal("NaN")
        if not days.is_finite():
            errors.append(_("天数应为数字"))
        elif days <= 0 or days > MAX_TRAINING_DAYS:
            errors.append(_("天数应大于 0 且不超过 365"))
        elif (days * 2) % 1 != 0:
            errors.append(_("天数以半天为单位，如 0.5、1、3"))
        else:
            return days.quantize(Decimal("0.1"))
        return None

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        yield from self._worker_export(
            scope, "course", "days", "started_on", "organiser", "is_rotation"
        )


class MembershipSpec(TableSpec):
    kind = "memberships"
    label = "组织成员"
    model = Membership
    region_levels = ("county", "town", "community", "grid")
    unique_key = False  # no database constraint: always look the stored rows up
    duplicate_what = "同一组织的同一成员"
    ROLES = cells.choice_map(Membership.Role)
    KINDS = cells.choice_map(Organisation.Kind)
    columns = (
        _region_column("组织", "县、镇/街道、社区/村或网格"),
        _column(
            "组织",
            "organisation",
            True,
            "组织的统一社会信用代码，或其全称（须已在本行区划登记：请先导入组织）。",
            "陵阳社区志愿服务队",
        ),
        _column(
            "组织类型",
            "org_kind",
            False,
            "同一区划有同名的不同类型组织时填写，如 志愿服务队；可留空。",
            "",
        ),
        _column(
            "身份证号",
            "id_number",
            True,
            "成员的居民身份证号（须已登记为居民，且在您的管理范围内：请先导入居民）。"
            "同一组织、同一身份证号为同一条记录。",
            "340223199001011233",
        ),
        _column("姓名", "name", False, "可留空；填写时须与该身份证号登记的姓名一致。", "李四"),
        _column(
            "职务",
            "role",
            False,
            f"{_choice_labels(Membership.Role)} 之一，新成员默认为成员。",
            "成员",
        ),
        _column("加入日期", "joined_on", False, "如 2023-01-01，不能晚于今天。", ""),
    )

    def parse(self, row: Mapping[str, str], number: int, ctx: Context) -> Parsed:
        parsed = self._start(row, number, ctx)
        errors, values = parsed.errors, parsed.values
        organisation = cells.text(
            row.get("organisation", ""), "组织", errors, max_length=150, required=True
        )
        org_kind = cells.choice(row.get("org_kind", ""), "组织类型", errors, self.KINDS)
        id_number = row.get("id_number", "").replace(" ", "").translate(_FULL_WIDTH_X)
        id_hash = ""
        if not id_number:
            errors.append(_("请填写身份证号"))
        elif "*" in id_number:
            errors.append(_("身份证号为脱敏值（导出文件中的号码已隐藏），请填写完整号码"))
        elif id_number_birth(id_number) is None:
            errors.append(_(id_number_error(id_number) or "身份证号无效"))
        else:
            id_hash = ctx.hash(id_number)
            parsed.extra["id_hash"] = id_hash
        name = cells.text(row.get("name", ""), "姓名", errors, max_length=50)
        if name:
            parsed.extra["name"] = name
        _keep(
            values,
            role=cells.choice(row.get("role", ""), "职务", errors, self.ROLES),
            joined_on=cells.date(row.get("joined_on", ""), "加入日期", errors),
        )
        if parsed.region is not None and organisation and id_hash:
            parsed.extra["organisation"] = (organisation, org_kind or None)
            parsed.key = (parsed.region.id, organisation, org_kind or "", id_hash)
        return parsed

    def check_chunk(self, ctx: Context, chunk: Sequence[Parsed]) -> None:
        orgs = OrgLookup.of(ctx)
        residents: dict[str, Any] = {
            r["id_number_hash"]: r
            for r in Resident.objects.filter(
                id_number_hash__in={p.extra["id_hash"] for p in chunk if "id_hash" in p.extra}
            ).values("id", "id_number_hash", "name", "region_code")
        }
        first_rows = ctx.lookups.setdefault("members", {})
        for parsed in chunk:
            if parsed.region is None:
                continue
            if "organisation" in parsed.extra:
                text, kind = parsed.extra["organisation"]
                found = [
                    row
                    for row in orgs.find(text, [parsed.region], kind)
                    if row.region_id == parsed.region.id
                ]
                message = org_reference_error(_("组织"), text, found, _("本行区划中"))
                if message:
                    parsed.errors.append(message)
                else:
                    parsed.values["organisation_id"] = found[0].id
            resident = residents.get(parsed.extra.get("id_hash", ""))
            if "id_hash" not in parsed.extra:
                pass
            elif resident is None or not ctx.scope.covers(resident["region_code"]):
                parsed.errors.append(
                    _("身份证号对应的居民未登记，或不在您的管理范围内（请先导入居民）")
                )
            elif parsed.extra.get("name", resident["name"]) != resident["name"]:
                parsed.errors.append(_("姓名与该身份证号登记的居民姓名不一致"))
            else:
                parsed.values["resident_id"] = resident["id"]
                parsed.values["name"] = resident["name"]
            if "organisation_id" in parsed.values and "resident_id" in parsed.values:
                pair = (parsed.values["organisation_id"], parsed.values["resident_id"])
                first = first_rows.setdefault(pair, parsed.number)
                if first != parsed.number and not parsed.errors:
                    parsed.errors.append(self.duplicate_message(first))
        super().check_chunk(ctx, chunk)

    def _existing(self, ctx: Context, chunk: Sequence[Parsed]) -> dict[Hashable, dict[str, Any]]:
        resolved = [p for p in chunk if "organisation_id" in p.values and "resident_id" in p.values]
        if not resolved:
            return {}
        rows = (
            Membership.objects.filter(
                organisation_id__in={p.values["organisation_id"] for p in resolved},
                resident_id__in={p.values["resident_id"] for p in resolved},
            )
            .order_by("id")
            .values(
                "id",
                "organisation_id",
                "resident_id",
                "region_id",
                "region_code",
                "name",
                "role",
                "joined_on",
            )
        )
        stored: dict[tuple[int, int], Any] = {}
        for r in rows:
            stored.setdefault((r["organisation_id"], r["resident_id"]), r)
        found: dict[Hashable, dict[str, Any]] = {}
        for p in resolved:
            row = stored.get((p.values["organisation_id"], p.values["resident_id"]))
            if row is not None:
                found[p.key] = row
        return found

    def export_records(self, scope: Scope) -> Iterator[dict[str, Any]]:
        roles = dict(Membership.Role.choices)
        kinds = dict(Organisation.Kind.choices)
        rows = (
            Membership.objects.visible_to(scope)
            .filter(resident__isnull=False)
            .order_by("region_code", "organisation__name", "organisation_id", "id")
            .values(
                "region_code",
                "organisation__credit_code",
                "organisation__name",
                "organisation__kind",
                "resident__id_number",
                "name",
                "role",
                "joined_on",
            )
        )
        for r in rows.iterator(chunk_size=2000):
            number = r["resident__id_number"]
            yield {
                "region": r["region_code"],
                "organisation": org_reference_text(
                    r["organisation__credit_code"], r["organisation__name"]
                ),
                "org_kind": kinds.get(r["organisation__kind"], ""),
                "id_number": mask_id_number(number) if number else "",
                "name": r["name"],
                "role": roles.get(r["role"], r["role"]),
                "joined_on": r["joined_on"],
            }


SPECS: dict[str, TableSpec] = {
    spec.kind: spec
    for spec in (
        BuildingSpec(),
        HouseholdSpec(),
        ResidentSpec(),
        OrganisationSpec(),
        FacilitySpec(),
        WorkerSpec(),
        MembershipSpec(),
        CertificateSpec(),
        TrainingSpec(),
    )
}


def region_refs() -> dict[str, RegionRef]:
    """Every region by code (the tree is small: a county has about 2,000 nodes)."""
    return {
        code: RegionRef(pk, code, level, name)
        for pk, code, level, name in Region.objects.values_list("id", "code", "level", "name")
    }
