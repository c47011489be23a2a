"""Writes of the living-circles module: networks, settings, circles, the recomputation, runs.

The recomputation (`access_refresh`) is the one path from registry data to stored results:
for each facility type with a walking threshold it compares a digest of what its layer
depends on (network, operating facilities of the type, residential buildings, settings)
with the stored one and recomputes only the layers that changed; then it rebuilds the
per-community coverage rows (cheap: a few numpy passes over the buildings).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.access import engine, osm, selectors
from linli.access.models import (
    AccessLayer,
    AccessRun,
    AccessSettings,
    CircleRequirement,
    Coverage,
    LifeCircle,
    WalkNetwork,
)
from linli.core.errors import ApplicationError
from linli.core.scoping import Scope
from linli.facilities.models import FacilityType
from linli.regions.models import Region

logger = logging.getLogger("linli.access")

MAX_UPLOAD_BYTES = 512 * 2**20  # a county's PBF extract is tens of MB


def settings_for(county: Region) -> AccessSettings:
    found, _created = AccessSettings.objects.get_or_create(county=county)
    return found


def _county_writable(scope: Scope, county: Region) -> None:
    if not scope.may_write(county.code):
        raise ApplicationError("forbidden", _("只有县级管理员可以维护路网和生活圈参数"), status=403)


@transaction.atomic
def access_settings_update(
    *, scope: Scope, county: Region, values: dict[str, Any]
) -> AccessSettings:
    """Change a county's walking profile; the next refresh recomputes what depends on it."""
    _county_writable(scope, county)
    row = settings_for(county)
    errors: dict[str, str] = {}
    for name, low, high in (
        ("walk_speed_kmh", 1.0, 8.0),
        ("elderly_speed_kmh", 0.5, 8.0),
        ("detour_factor", 1.0, 3.0),
        ("cutoff_m", 500, 10_000),
    ):
        if name not in values:
            continue
        try:
            value = float(values[name])
        except (TypeError, ValueError):
            errors[name] = _("请输入数字")
            continue
        if not low <= value <= high:
            errors[name] = _("应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high}
            continue
        setattr(row, name, int(value) if name == "cutoff_m" else value)
    if errors:
        raise ApplicationError("validation_error", _("参数有误"), detail=errors, status=422)
    row.save()
    return row


# --- networks ---------------------------------------------------------------------------


def network_parse(path: Path, filename: str) -> tuple[engine.WalkNetwork, str]:
    """Read an OSM PBF extract or a GeoJSON line file; the format goes by content, not name."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    stripped = head.lstrip()
    if stripped.startswith((b"{", b"[")):
        return osm.network_from_geojson(path.read_bytes()), WalkNetwork.Source.GEOJSON
    if b"OSMHeader" in head or filename.lower().endswith(".pbf"):
        return osm.network_from_pbf(path), WalkNetwork.Source.OSM_PBF
    raise osm.NetworkFormatError(
        _("无法识别的路网文件：请上传 OpenStreetMap .osm.pbf 或 GeoJSON 线数据")
    )


@transaction.atomic
def network_activate(
    *,
    county: Region,
    network: engine.WalkNetwork,
    name: str,
    source: str,
    actor: Any = None,
) -> WalkNetwork:
    """Store a parsed network as the county's active one (the previous one is kept, inactive)."""
    if network.node_count < 2 or network.edge_count < 1:
        raise ApplicationError("validation_error", _("路网中没有可步行的路段"), status=422)
    WalkNetwork.objects.filter(county=county, is_active=True).update(is_active=False)
    return WalkNetwork.objects.create(
        county=county,
        name=name[:100],
        source=source,
        node_count=network.node_count,
        edge_count=network.edge_count,
        total_length_km=round(float(np.sum(network.length_m)) / 1000, 2),
        data=network.to_bytes(),
        is_active=True,
        imported_by=actor if getattr(actor, "pk", None) else None,
    )


def _upload_folder() -> Path:
    path = Path(settings.LINLI_DOWNLOAD_DIR) / "access"
    path.mkdir(parents=True, exist_ok=True)
    return path


def network_import_start(
    *, scope: Scope, county: Region, upload: Any, actor: Any = None
) -> AccessRun:
    """Keep the uploaded file and queue its import (then a refresh) on the background worker."""
    _county_writable(scope, county)
    name = getattr(upload, "name", "") or "network"
    size = getattr(upload, "size", None) or 0
    if size > MAX_UPLOAD_BYTES:
        raise ApplicationError(
            "file_too_large",
            _("文件过大（最大 %(mb)d MB）") % {"mb": MAX_UPLOAD_BYTES // 2**20},
            status=422,
        )
    if not size:
        raise ApplicationError("file_empty", _("文件是空的"), status=422)
    if not name.lower().endswith((".pbf", ".geojson", ".json")):
        raise ApplicationError(
            "bad_format", _("请上传 .osm.pbf、.geojson 或 .json 文件"), status=422
        )
    run = AccessRun.objects.create(
        county=county,
        kind=AccessRun.Kind.IMPORT,
        upload_name=name[:200],
        requested_by=actor if getattr(actor, "pk", None) else None,
        message=_("等待后台任务开始"),
    )
    target = _upload_folder() / f"run-{run.pk}{''.join(Path(name).suffixes[-2:])[:12]}"
    with open(target, "wb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            out.write(chunk)
    AccessRun.objects.filter(pk=run.pk).update(upload_path=str(target))
    from linli.access import tasks  # the tasks module imports this one

    transaction.on_commit(lambda: tasks.access_run_task.enqueue(run.pk))
    run.refresh_from_db()
    return run


def refresh_start(*, scope: Scope, county: Region, actor: Any = None) -> AccessRun:
    """Queue a recomputation of what changed (the page's 重新计算 button)."""
    _county_writable(scope, county)
    running = AccessRun.objects.filter(
        county=county, status__in=(AccessRun.Status.QUEUED, AccessRun.Status.RUNNING)
    ).first()
    if running is not None:
        return running
    run = AccessRun.objects.create(
        county=county,
        kind=AccessRun.Kind.REFRESH,
        requested_by=actor if getattr(actor, "pk", None) else None,
        message=_("等待后台任务开始"),
    )
    from linli.access import tasks

    transaction.on_commit(lambda: tasks.access_run_task.enqueue(run.pk))
    return run


def _run_update(run: AccessRun | None, **values: Any) -> None:
    if run is None:
        return
    for key, value in values.items():
        setattr(run, key, value)
    AccessRun.objects.filter(pk=run.pk).update(**values, updated_at=timezone.now())


def access_run_execute(*, run_id: int) -> AccessRun:
    """Run one queued job (a retried task finds it taken and does nothing)."""
    claimed = AccessRun.objects.filter(pk=run_id, status=AccessRun.Status.QUEUED).update(
        status=AccessRun.Status.RUNNING, updated_at=timezone.now()
    )
    run = AccessRun.objects.select_related("county", "requested_by").get(pk=run_id)
    if not claimed:
        return run
    try:
        if run.kind == AccessRun.Kind.IMPORT:
            _run_update(run, message=_("正在读取路网文件"))
            path = Path(run.upload_path)
            parsed, source = network_parse(path, run.upload_name)
            network_activate(
                county=run.county,
                network=parsed,
                name=run.upload_name,
                source=source,
                actor=run.requested_by,
            )
            path.unlink(missing_ok=True)
        report = access_refresh(county=run.county, run=run)
        _run_update(
            run,
            status=AccessRun.Status.DONE,
            message=report.line(),
            finished_at=timezone.now(),
        )
    except (osm.NetworkFormatError, ApplicationError) as error:
        message = getattr(error, "message", None) or str(error)
        _run_update(
            run,
            status=AccessRun.Status.FAILED,
            message=str(message)[:500],
            finished_at=timezone.now(),
        )
        Path(run.upload_path).unlink(missing_ok=True) if run.upload_path else None
    except Exception:
        logger.exception("access run %s failed", run_id)
        _run_update(
            run,
            status=AccessRun.Status.FAILED,
            message=_("计算失败，请联系管理员查看日志"),
            finished_at=timezone.now(),
        )
    return run


# --- recomputation ----------------------------------------------------------------------


@dataclass
class RefreshReport:
    layers_recomputed: list[str] = field(default_factory=list)
    layers_unchanged: int = 0
    approximate: bool = False
    buildings: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        kind = _("直线估算") if self.approximate else _("路网")
        return _(
            "已重新计算 %(changed)d 类设施、未变 %(same)d 类；"
            "住宅楼栋 %(buildings)d 栋（%(kind)s，%(seconds).1f 秒）"
        ) % {
            "changed": len(self.layers_recomputed),
            "same": self.layers_unchanged,
            "buildings": self.buildings,
            "kind": kind,
            "seconds": self.seconds,
        }


def _digest(*parts: Any) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            hasher.update(np.ascontiguousarray(part).tobytes())
        else:
            hasher.update(repr(part).encode())
        hasher.update(b"|")
    return hasher.hexdigest()


def _pack(array: np.ndarray, dtype: str) -> bytes:
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


def access_refresh(
    *, county: Region, run: AccessRun | None = None, force: bool = False
) -> RefreshReport:
    """Recompute the layers whose inputs changed, then every community's coverage."""
    started = timezone.now()
    report = RefreshReport()
    params = settings_for(county)
    network_row = selectors.active_network(county)
    network = engine.WalkNetwork.from_bytes(bytes(network_row.data)) if network_row else None
    report.approximate = network is None
    buildings = selectors.residential_buildings(county)
    report.buildings = len(buildings.ids)
    types = list(selectors.measured_types())
    stored = {
        layer.facility_type_id: layer.fingerprint
        for layer in AccessLayer.objects.filter(county=county).only(
            "facility_type_id", "fingerprint"
        )
    }
    base = _digest(
        network_row.pk if network_row else None,
        params.detour_factor,
        params.cutoff_m,
        buildings.ids,
        buildings.lng,
        buildings.lat,
    )
    _run_update(
        run, steps_done=0, steps_total=len(types) + 1, message=_("正在计算各类设施的步行距离")
    )
    for done, facility_type in enumerate(types, start=1):
        facilities = selectors.facility_points(county, facility_type)
        fingerprint = _digest(
            base, facility_type.pk, facilities.ids, facilities.lng, facilities.lat
        )
        if not force and stored.get(facility_type.pk) == fingerprint:
            report.layers_unchanged += 1
        else:
            result = engine.nearest_facility(
                network,
                buildings.lng,
                buildings.lat,
                facilities.lng,
                facilities.lat,
                cutoff_m=float(params.cutoff_m),
                detour_factor=params.detour_factor,
            )
            facility_ids = (
                np.where(result.facility >= 0, facilities.ids[np.maximum(result.facility, 0)], 0)
                if len(facilities.ids)
                else np.zeros(len(buildings.ids), dtype=np.int64)
            )
            AccessLayer.objects.update_or_create(
                county=county,
                facility_type=facility_type,
                defaults={
                    "network": network_row,
                    "approximate": result.approximate,
                    "building_ids": _pack(buildings.ids, "<i8"),
                    "distance_m": _pack(result.distance_m, "<f4"),
                    "facility_ids": _pack(facility_ids, "<i8"),
                    "fingerprint": fingerprint,
                },
            )
            report.layers_recomputed.append(facility_type.code)
        _run_update(run, steps_done=done)
    _run_update(run, message=_("正在汇总各社区覆盖情况"))
    coverage_rebuild(county=county, buildings=buildings, types=types, params=params)
    _run_update(run, steps_done=len(types) + 1)
    report.seconds = (timezone.now() - started).total_seconds()
    return report


@transaction.atomic
def coverage_rebuild(
    *,
    county: Region,
    buildings: selectors.BuildingArrays,
    types: list[FacilityType],
    params: AccessSettings,
) -> int:
    """Replace the county's coverage rows from its stored layers (types, then circles)."""
    communities = list(
        Region.objects.filter(code__startswith=county.prefix, level=Region.Level.COMMUNITY)
        .order_by("code")
        .values_list("pk", "code")
    )
    index_of = {code: i for i, (_pk, code) in enumerate(communities)}
    community_index = np.array(
        [index_of.get(code[:12], -1) for code in buildings.region_codes], dtype=np.int64
    )
    known = community_index >= 0
    slow = params.elderly_speed_kmh / params.walk_speed_kmh
    distances = selectors.layer_distances(county, buildings)
    rows: list[Coverage] = []

    def add_rows(
        threshold: float, within: np.ndarray, within_slow: np.ndarray, **target: Any
    ) -> None:
        n = len(communities)
        idx = community_index[known]

        def total(weights: np.ndarray | None) -> np.ndarray:
            return np.bincount(
                idx, weights=None if weights is None else weights[known], minlength=n
            )

        counts = total(None)
        population = total(buildings.population)
        population_within = total(buildings.population * within)
        households = total(buildings.households)
        households_outside = total(buildings.households * ~within)
        elderly = total(buildings.elderly)
        elderly_outside = total(buildings.elderly * ~within)
        elderly_outside_slow = total(buildings.elderly * ~within_slow)
        for i, (pk, code) in enumerate(communities):
            rows.append(
                Coverage(
                    region_id=pk,
                    region_code=code,
                    threshold_m=round(threshold),
                    buildings=int(counts[i]),
                    population=int(population[i]),
                    population_within=int(population_within[i]),
                    households=int(households[i]),
                    households_outside=int(households_outside[i]),
                    elderly=int(elderly[i]),
                    elderly_outside=int(elderly_outside[i]),
                    elderly_outside_slow=int(elderly_outside_slow[i]),
                    **target,
                )
            )

    approximate = {t.pk: layer_approx for t, layer_approx in selectors.layer_flags(county).items()}
    for facility_type in types:
        distance = distances.get(facility_type.pk)
        if distance is None or facility_type.walk_threshold_m is None:
            continue
        threshold = float(facility_type.walk_threshold_m)
        add_rows(
            threshold,
            distance <= threshold,
            distance <= threshold * slow,
            facility_type=facility_type,
            approximate=approximate.get(facility_type.pk, False),
        )
    for circle in LifeCircle.objects.prefetch_related("requirements__facility_types"):
        within = np.ones(len(buildings.ids), dtype=bool)
        within_slow = np.ones(len(buildings.ids), dtype=bool)
        is_approx = False
        for requirement in circle.requirements.all():
            nearest = np.full(len(buildings.ids), np.inf, dtype=np.float64)
            for facility_type in requirement.facility_types.all():
                if facility_type.pk in distances:
                    nearest = np.minimum(nearest, distances[facility_type.pk])
                    is_approx = is_approx or approximate.get(facility_type.pk, False)
            within &= nearest <= circle.distance_m
            within_slow &= nearest <= circle.distance_m * slow
        add_rows(
            float(circle.distance_m), within, within_slow, circle=circle, approximate=is_approx
        )
    Coverage.objects.filter(region_code__startswith=county.prefix).delete()
    Coverage.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- circles ----------------------------------------------------------------------------


@transaction.atomic
def circle_update(
    *,
    scope: Scope,
    county: Region,
    circle: LifeCircle,
    name: str,
    minutes: Any,
    distance_m: Any,
    requirements: list[tuple[str, list[str]]],
    actor: Any = None,
) -> LifeCircle:
    """Change a circle's name, distance and requirements (all at once, or nothing), then queue
    a recomputation of the coverage."""
    _county_writable(scope, county)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("请填写名称")
    numbers: dict[str, int] = {}
    for field_name, value, low, high in (
        ("minutes", minutes, 1, 60),
        ("distance_m", distance_m, 50, 5000),
    ):
        try:
            numbers[field_name] = int(str(value).strip())
        except ValueError:
            errors[field_name] = _("请输入整数")
            continue
        if not low <= numbers[field_name] <= high:
            errors[field_name] = _("应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high}
    kept = [(n.strip(), codes) for n, codes in requirements if n.strip() or codes]
    if not kept:
        errors["requirements"] = _("至少需要一项配套要求")
    known = {t.code: t for t in FacilityType.objects.filter(is_active=True)}
    for position, (requirement_name, codes) in enumerate(kept, start=1):
        if not requirement_name:
            errors[f"requirement_{position}"] = _("第 %(n)d 项配套要求缺少服务名称") % {
                "n": position
            }
        elif not codes:
            errors[f"requirement_{position}"] = _("“%(name)s”至少选择一类设施") % {
                "name": requirement_name
            }
        elif unknown := sorted(set(codes) - set(known)):
            errors[f"requirement_{position}"] = _("未知的设施类型：%(codes)s") % {
                "codes": "、".join(unknown)
            }
    if errors:
        raise ApplicationError("validation_error", _("生活圈定义有误"), detail=errors, status=422)
    circle.name = name[:50]
    circle.minutes = numbers["minutes"]
    circle.distance_m = numbers["distance_m"]
    circle.save()
    circle.requirements.all().delete()
    for requirement_name, codes in kept:
        requirement = CircleRequirement.objects.create(circle=circle, name=requirement_name[:50])
        requirement.facility_types.set([known[c] for c in codes])
    refresh_start(scope=scope, county=county, actor=actor)
    return circle
