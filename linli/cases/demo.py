"""Demo cases: a few hundred across the county over the last five months, in every state.

Deterministic (a fixed seed; the same tree gives the same cases) and idempotent (nothing
is added when demo cases exist). The rows are written in bulk with consistent times,
deadlines from the real time limits, assignments and a full event history, so that the
desks, the board, the statistics and the indicator engine have something true to show.
Some cases belong to the demo accounts (居民 resident, 网格员 grid, 城管 chengguan).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.cases import selectors, services, worktime
from linli.cases.models import (
    Case,
    CaseAssignment,
    CaseCategory,
    CaseEvent,
    RejectReason,
    Source,
    Status,
    Urgency,
)
from linli.orgs.models import Organisation
from linli.regions.models import Region

DEMO_REF = "demo-"
DEPARTMENTS = ("城管", "住建", "交通", "应急", "公安", "民政", "司法", "市场监管")
DESCRIPTIONS = {
    "env": (
        "垃圾桶满溢，已经两天没有清运",
        "楼道口堆放大量杂物和废旧家具",
        "小区后面有卫生死角，蚊蝇很多",
    ),
    "muni": (
        "路灯晚上不亮，出行不安全",
        "人行道井盖松动，踩上去会翻",
        "下雨后路面积水严重排不出去",
    ),
    "road": ("路面有大坑，电动车经过很危险", "车辆长期占用消防通道和人行道", "路口红绿灯不工作"),
    "dispute": ("楼上夜间噪音很大，沟通无果", "邻居在公共区域搭建棚子", "相邻两户因漏水产生矛盾"),
    "security": ("小区门禁损坏，外来人员随意进出", "夜间有可疑人员在车棚附近徘徊"),
    "fire": ("有人在楼道里给电动车充电", "消防通道被车辆堵塞", "楼内灭火器过期"),
    "property": ("电梯经常故障停运", "物业不处理楼顶漏水"),
    "care": ("独居老人家中无人照应，需要上门看看", "残疾人出行需要帮助"),
    "market": ("路边摊贩售卖过期食品", "商店价格标示不清"),
    "policy": ("咨询城乡居民医保缴费办法", "咨询高龄津贴申请条件"),
    "other": ("希望小区增设健身器材", "建议在公交站增加遮阳棚"),
}


def _departments(county: Region) -> dict[str, Organisation]:
    found = {}
    for name in DEPARTMENTS:
        found[name], _ = Organisation.objects.get_or_create(
            region=county, kind=Organisation.Kind.DEPARTMENT, name=name
        )
    return found


def _fate(rng: random.Random, age_days: float) -> str:
    if age_days < 0.2:
        return rng.choice((Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED))
    if age_days < 3:
        return rng.choices(
            (
                Status.DISPATCHED,
                Status.SIGNED,
                Status.IN_PROGRESS,
                Status.RESOLVED,
                Status.ESCALATED,
                Status.REPORTED,
            ),
            (2, 2, 4, 3, 1, 1),
        )[0]
    return rng.choices(
        (
            Status.CLOSED,
            Status.RESOLVED,
            Status.IN_PROGRESS,
            Status.REJECTED,
            Status.MERGED,
            Status.ESCALATED,
        ),
        (70, 6, 10, 8, 3, 3),
    )[0]


def _after(
    moment: datetime, rng: random.Random, low_h: float, high_h: float, now: datetime
) -> datetime:
    return min(moment + timedelta(hours=rng.uniform(low_h, high_h)), now - timedelta(minutes=1))


@transaction.atomic
def build_demo_cases(
    *, count: int = 300, seed: int = 20_250_101, now: datetime | None = None
) -> int:
    """Create the demo cases if none exist; returns how many were created."""
    if Case.objects.filter(external_ref__startswith=DEMO_REF).exists():
        return 0
    county = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
    if county is None:
        return 0
    services.category_catalogue_load()
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311  (demo data, deterministic on purpose)
    communities = list(Region.objects.filter(level=Region.Level.COMMUNITY).order_by("code"))
    if not communities:
        return 0
    grids: dict[str, list[Region]] = {}
    for grid in Region.objects.filter(level=Region.Level.GRID).order_by("code"):
        grids.setdefault(grid.code[:12], []).append(grid)
    departments = _departments(county)
    leaves = [
        c
        for c in CaseCategory.objects.select_related("parent").order_by("code")
        if c.parent_id or not c.children.exists()
    ]
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=("resident", "grid", "chengguan", "lingyang", "jishan")
        )
    }
    seat = [c for c in communities if c.code.startswith(county.code[:6] + "100")] or communities
    limits_cache: dict[tuple[int, str], Any] = {}

    plans = []
    for i in range(count):
        community = rng.choice(seat) if rng.random() < 0.4 else rng.choice(communities)
        region = (
            rng.choice(grids[community.code])
            if grids.get(community.code) and rng.random() < 0.8
            else community
        )
        category = rng.choice(leaves)
        urgency = Urgency.URGENT if rng.random() < 0.1 else Urgency.NORMAL
        created = now - timedelta(
            days=rng.uniform(0, 150) ** 1.1 / 150**0.1, minutes=rng.uniform(0, 600)
        )
        created = min(created, now - timedelta(minutes=5))
        age = (now - created).total_seconds() / 86400
        status = _fate(rng, age)
        source = rng.choices(
            (Source.RESIDENT, Source.PATROL, Source.HOTLINE, Source.API), (5, 3, 2, 1)
        )[0]
        lng = lat = None
        if community.center_lng is not None and community.center_lat is not None:
            lng = round(community.center_lng + rng.uniform(-0.003, 0.003), 6)
            lat = round(community.center_lat + rng.uniform(-0.003, 0.003), 6)
        texts = DESCRIPTIONS.get(category.top.code, DESCRIPTIONS["other"])
        key = (category.pk, urgency)
        if key not in limits_cache:
            limits_cache[key] = selectors.limits_for(category, urgency)
        plans.append(
            (
                i,
                region,
                category,
                urgency,
                created,
                status,
                source,
                lng,
                lat,
                rng.choice(texts),
                limits_cache[key],
            )
        )

    cases: list[Case] = []
    extra: list[dict[str, Any]] = []
    for i, region, category, urgency, created, status, source, lng, lat, text, limits in plans:
        reporter = (
            users.get("resident")
            if source == Source.RESIDENT and region.code.startswith("340223100001")
            else (
                users.get("grid")
                if source == Source.PATROL and region.code.startswith("340223100001")
                else None
            )
        )
        case = Case(
            region=region,
            region_code=region.code,
            category=category,
            source=source,
            urgency=urgency,
            status=status,
            description=text,
            address=f"{region.name}附近",
            lng=lng,
            lat=lat,
            reporter=reporter,
            reporter_name=(
                str(reporter)
                if reporter
                else rng.choice(("王女士", "李先生", "张大爷", "刘女士", "陈先生"))
            ),
            external_ref=f"{DEMO_REF}{i:04d}",
            working_time=limits.working_time,
        )
        info: dict[str, Any] = {"created": created, "events": [("report", "", "", "", created)]}
        t = created
        late = rng.random() < 0.12
        if status != Status.REPORTED:
            t = _after(t, rng, 0.05, 2, now)
            case.accepted_at = t
            info["events"].append(("accept", Status.REPORTED, Status.ACCEPTED, "", t))
        if status == Status.REJECTED:
            case.reject_reason = rng.choice(RejectReason.values)
            case.redirect_to = (
                "县人民法院诉讼服务中心" if case.reject_reason == RejectReason.NOT_OURS else ""
            )
            case.closed_at = t
            info["events"].append(("reject", Status.ACCEPTED, Status.REJECTED, "经核实不予受理", t))
        if status == Status.MERGED:
            case.closed_at = t
            info["events"].append(
                ("merge", Status.ACCEPTED, Status.MERGED, "与附近相同问题合并办理", t)
            )
        dispatched = status in (
            Status.DISPATCHED,
            Status.SIGNED,
            Status.IN_PROGRESS,
            Status.RESOLVED,
            Status.CLOSED,
            Status.ESCALATED,
        )
        dept_name = (
            category.default_department
            if category.default_department in departments
            else rng.choice(DEPARTMENTS)
        )
        to_worker = (
            rng.random() < 0.35 and region.code.startswith("340223100001") and "grid" in users
        )
        if dispatched:
            t = _after(t, rng, 0.05, 3, now)
            case.dispatched_at = t
            case.sign_deadline = worktime.add_hours(
                t, limits.sign_hours, working_time=limits.working_time
            )
            case.contact_deadline = worktime.add_hours(
                t, limits.contact_hours, working_time=limits.working_time
            )
            case.resolve_deadline = worktime.add_hours(
                t, limits.resolve_hours, working_time=limits.working_time
            )
            info["assignment"] = {
                "worker": users.get("grid") if to_worker else None,
                "department": None if to_worker else departments[dept_name],
                "sign_deadline": case.sign_deadline,
                "dispatched": t,
                "state": CaseAssignment.State.PENDING,
            }
            target = "陵阳社区网格员" if to_worker else dept_name
            info["events"].append(
                (
                    "dispatch",
                    Status.ACCEPTED,
                    Status.DISPATCHED,
                    "",
                    t,
                    {"targets": [f"{target}（主办）"]},
                )
            )
        if status in (Status.SIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED) or (
            status == Status.ESCALATED and dispatched
        ):
            deadline = case.sign_deadline or t
            t = min(
                deadline + timedelta(hours=rng.uniform(0.2, 6))
                if late
                else t + (deadline - t) * rng.uniform(0.1, 0.9),
                now - timedelta(minutes=1),
            )
            case.signed_at = t
            info["assignment"].update(state=CaseAssignment.State.SIGNED, signed=t)
            info["events"].append(("sign", Status.DISPATCHED, Status.SIGNED, "", t))
        if status in (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
            deadline = case.contact_deadline or t
            t = min(
                max(t, deadline + timedelta(hours=rng.uniform(0.1, 3)))
                if late
                else t + max(deadline - t, timedelta(0)) * rng.uniform(0.1, 0.9),
                now - timedelta(minutes=1),
            )
            case.first_contact_at = t
            info["events"].append(
                ("contact", Status.SIGNED, Status.IN_PROGRESS, "已电话联系诉求人", t)
            )
        if status in (Status.RESOLVED, Status.CLOSED):
            span = (case.resolve_deadline or t) - t
            t = min(t + span * rng.uniform(0.2, 1.3 if late else 0.95), now - timedelta(minutes=1))
            case.resolved_at = t
            case.result = "已现场处理完毕，并向诉求人反馈。"
            case.handling_seconds = int((t - created).total_seconds())
            info["assignment"]["state"] = CaseAssignment.State.DONE
            info["events"].append(("resolve", Status.IN_PROGRESS, Status.RESOLVED, case.result, t))
        if status == Status.CLOSED:
            rated = rng.random() < 0.85
            t = _after(t, rng, 1, 48, now)
            case.closed_at = t
            if rated:
                case.rated_at = t
                case.is_solved = rng.random() < 0.92
                case.is_satisfied = case.is_solved and rng.random() < 0.93
                case.rating_score = (
                    rng.choice((5, 5, 5, 4, 4)) if case.is_satisfied else rng.choice((1, 2, 3))
                )
                case.rating_channel = "resident" if case.reporter_id else "callback"
                info["events"].append(
                    (
                        "rate",
                        Status.RESOLVED,
                        Status.CLOSED,
                        "",
                        t,
                        {
                            "solved": case.is_solved,
                            "satisfied": case.is_satisfied,
                            "score": case.rating_score,
                        },
                    )
                )
            else:
                info["events"].append(
                    ("close", Status.RESOLVED, Status.CLOSED, "办结 7 天未评价，系统自动关闭", t)
                )
        if status == Status.ESCALATED:
            t = _after(t, rng, 0.2, 5, now)
            if "assignment" in info:
                info["assignment"]["state"] = CaseAssignment.State.DONE
            info["events"].append(
                (
                    "escalate",
                    Status.SIGNED if dispatched else Status.ACCEPTED,
                    Status.ESCALATED,
                    "涉及多个部门，网格无法单独解决",
                    t,
                )
            )
        if case.sign_deadline:
            signed = case.signed_at or now
            case.sign_overdue = signed > case.sign_deadline
            contact = case.first_contact_at or (
                now if status in (Status.DISPATCHED, Status.SIGNED) else None
            )
            case.contact_overdue = bool(
                contact and case.contact_deadline and contact > case.contact_deadline
            )
            if case.first_contact_at or case.sign_overdue or case.contact_overdue:
                case.responded_in_time = not (case.sign_overdue or case.contact_overdue)
            resolved = case.resolved_at or (
                now if status in (Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS) else None
            )
            case.resolve_overdue = bool(
                resolved and case.resolve_deadline and resolved > case.resolve_deadline
            )
            if case.sign_overdue or case.contact_overdue or case.resolve_overdue:
                case.overdue_at = min(d for d in (case.sign_deadline, case.resolve_deadline) if d)
                case.escalation_level = 1 if case.resolve_overdue else 0
        case.version = len(info["events"])
        info["updated"] = t
        cases.append(case)
        extra.append(info)

    Case.objects.bulk_create(cases)
    for case, info in zip(cases, extra, strict=True):
        case.created_at = info["created"]
        case.updated_at = info["updated"]
    Case.objects.bulk_update(cases, ["created_at", "updated_at"], batch_size=500)

    assignments, events = [], []
    for case, info in zip(cases, extra, strict=True):
        spec = info.get("assignment")
        if spec:
            assignments.append(
                CaseAssignment(
                    case=case,
                    region_id=case.region_id,
                    region_code=case.region_code,
                    role=CaseAssignment.Role.LEAD,
                    worker=spec["worker"],
                    department=spec["department"],
                    state=spec["state"],
                    sign_deadline=spec["sign_deadline"],
                    signed_at=spec.get("signed"),
                    sign_overdue=bool(case.sign_overdue),
                    signed_by=users.get("chengguan")
                    if spec["department"]
                    and spec["department"].name == "城管"
                    and spec.get("signed")
                    else spec["worker"]
                    if spec.get("signed")
                    else None,
                    dispatched_by=users.get("jishan"),
                )
            )
        for entry in info["events"]:
            action, before, after, note, moment = entry[:5]
            data = entry[5] if len(entry) > 5 else {}
            events.append(
                CaseEvent(
                    case=case,
                    region_id=case.region_id,
                    region_code=case.region_code,
                    action=action,
                    from_status=before,
                    to_status=after,
                    note=note,
                    data=data,
                    actor_label="演示数据"
                    if action != "report"
                    else (case.reporter_name or "诉求人"),
                    created_at=moment,
                )
            )
    CaseAssignment.objects.bulk_create(assignments)
    moments = [e.created_at for e in events]  # bulk_create stamps "now" on auto_now_add fields
    created_events = CaseEvent.objects.bulk_create(events, batch_size=1000)
    for event, moment in zip(created_events, moments, strict=True):
        event.created_at = event.updated_at = moment
    CaseEvent.objects.bulk_update(created_events, ["created_at", "updated_at"], batch_size=1000)
    return len(cases)
