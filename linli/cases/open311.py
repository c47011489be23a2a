"""Open311 GeoReport v2 at /open311/v2/: discovery, services, requests, tokens (JSON and XML).

Reading is public for the categories marked public (ADR 0074): no reporter, phone numbers
in descriptions masked, rejected and merged requests left out. With an `api_key` (a Linli
API token) a caller reads every category of its token's region. Creating a request needs
an `api_key` that may write, and the point (lat/long) or a Linli region code (address_id).
Errors answer `[{"code", "description"}]` or `<errors><error>…</error></errors>`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DataError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from linli.accounts.tokens import api_token_authenticate
from linli.cases import selectors, services
from linli.cases.models import Case, CaseAssignment, CaseCategory, CasePhoto, Status, Urgency
from linli.cases.worktime import TZ
from linli.core.errors import ApplicationError
from linli.core.scoping import scope_of

CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.MERGED)
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


# --- rendering --------------------------------------------------------------------------


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml_fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, dict):
            _xml_fill(child, value)
        elif isinstance(value, list):
            item_tag = {
                "attributes": "attribute",
                "values": "value",
                "endpoints": "endpoint",
                "formats": "format",
            }.get(key, "item")
            for item in value:
                node = ET.SubElement(child, item_tag)
                if isinstance(item, dict):
                    _xml_fill(node, item)
                else:
                    node.text = _xml_value(item)
        else:
            child.text = _xml_value(value)


def _xml(root_tag: str, item_tag: str | None, payload: Any) -> bytes:
    root = ET.Element(root_tag)
    if item_tag is None:
        _xml_fill(root, payload)
    else:
        for item in payload:
            _xml_fill(ET.SubElement(root, item_tag), item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _respond(
    fmt: str, payload: Any, *, root: str, item: str | None, status: int = 200
) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(
            _xml(root, item, payload), content_type="text/xml; charset=utf-8", status=status
        )
    return JsonResponse(
        payload, safe=False, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _error(fmt: str, code: int, description: str) -> HttpResponse:
    return _respond(
        fmt, [{"code": code, "description": description}], root="errors", item="error", status=code
    )


def _w3c(moment: datetime | None) -> str | None:
    return moment.astimezone(TZ).isoformat(timespec="seconds") if moment else None


def _handled(view: Any) -> Any:
    """Turn Open311Error and the platform's ApplicationError into Open311 error bodies."""

    def wrapped(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> HttpResponse:
        try:
            _check_jurisdiction(request)
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return _error(fmt, exc.code, exc.description)
        except ApplicationError as exc:
            code = {422: 400, 401: 403}.get(exc.status, exc.status)
            return _error(fmt, code, exc.message)
        except (DataError, OverflowError):  # a value the database cannot hold or compare
            return _error(fmt, 400, "a parameter holds an invalid value (参数含有无效的值)")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _jurisdiction() -> str:
    return getattr(settings, "LINLI_OPEN311_JURISDICTION", "340223")


def _check_jurisdiction(request: HttpRequest) -> None:
    given = (
        request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or ""
    ).strip()
    if given and given != _jurisdiction():
        raise Open311Error(
            404, f"jurisdiction_id {given} not served here (本平台服务 {_jurisdiction()})"
        )


def _token(request: HttpRequest, *, required: bool) -> Any:
    key = (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()
    if not key:
        if required:
            raise Open311Error(400, "api_key is required (缺少 api_key)")
        return None
    token = api_token_authenticate(key)
    if token is None:
        raise Open311Error(403, "api_key is invalid (api_key 无效或已吊销)")
    return token


# --- discovery and services ------------------------------------------------------------------


@_handled
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})).rsplit(
        "/", 1
    )[0]
    payload = {
        "changeset": "2025-01-01T00:00:00+08:00",
        "contact": getattr(settings, "LINLI_OPEN311_CONTACT", "南陵县民政局 接诉即办平台"),
        "key_service": "向县民政局管理员申请 API 令牌（api_key）",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2025-01-01T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _respond(fmt, payload, root="discovery", item=None)


def _service(category: CaseCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": True,
        "type": "realtime",
        "keywords": category.parent.name if category.parent_id else category.name,  # type: ignore[union-attr]
        "group": category.parent.name if category.parent_id else category.name,  # type: ignore[union-attr]
    }


@_handled
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return _respond(
        fmt, [_service(c) for c in selectors.category_tree()], root="services", item="service"
    )


@_handled
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = selectors.category_by_code(code)
    if category is None:
        raise Open311Error(404, f"service_code {code} not found (未找到该服务)")
    payload = {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "urgency",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "一般或紧急",
                "order": 1,
                "description": "紧急程度",
                "values": [{"key": k, "name": str(v)} for k, v in Urgency.choices],
            }
        ],
    }
    return _respond(fmt, payload, root="service_definition", item=None)


# --- requests -----------------------------------------------------------------------------


def _readable(token: Any) -> QuerySet[Case]:
    if token is not None:
        return selectors.case_visible(token)
    return Case.objects.filter(category__is_public=True).exclude(
        status__in=(Status.REJECTED, Status.MERGED)
    )


def _with_details(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("category", "category__parent", "region").prefetch_related(
        Prefetch(
            "assignments",
            queryset=CaseAssignment.objects.filter(role=CaseAssignment.Role.LEAD)
            .exclude(state=CaseAssignment.State.CANCELLED)
            .select_related("department", "worker")
            .order_by("-id"),
            to_attr="leads",
        ),
        Prefetch(
            "photos",
            queryset=CasePhoto.objects.exclude(kind=CasePhoto.Kind.PROGRESS).order_by("id"),
            to_attr="public_photos",
        ),
    )


def _status_notes(case: Case) -> str:
    if case.status == Status.REJECTED:
        return str(case.get_reject_reason_display()) + (
            f"；办理渠道：{case.redirect_to}" if case.redirect_to else ""
        )
    if case.status == Status.MERGED and case.merged_into_id:
        return f"已并入 {case.merged_into_id}"
    return (
        case.result
        if case.status in (Status.RESOLVED, Status.CLOSED)
        else str(case.get_status_display())
    )


def _request_out(request: HttpRequest, case: Case, *, staff: bool) -> dict[str, Any]:
    leads = getattr(case, "leads", [])
    agency = (
        leads[0].department.name
        if leads and leads[0].department_id
        else (case.region.name if leads else "")
    )
    photos = getattr(case, "public_photos", [])
    description = case.description if staff else _PHONE.sub(r"\1****\2", case.description)
    return {
        "service_request_id": str(case.pk),
        "status": "closed" if case.status in CLOSED_STATUSES else "open",
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": description,
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": _w3c(case.created_at),
        "updated_datetime": _w3c(case.updated_at),
        "expected_datetime": _w3c(case.resolve_deadline),
        "address": case.address,
        "address_id": case.region_code,
        "zipcode": "",
        "lat": case.lat,
        "long": case.lng,
        "media_url": request.build_absolute_uri(reverse("cases:photo", args=[photos[0].pk]))
        if photos
        else "",
    }


def _moment(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        value = parse_datetime(text.strip().replace(" ", "+"))  # '+' arrives as a space unquoted
    except ValueError:  # well formed but no such moment: month 13, an offset of +99:00
        value = None
    if value is None:
        raise Open311Error(400, f"{name} must be a W3C datetime, e.g. 2025-01-01T00:00:00+08:00")
    return timezone.make_aware(value, TZ) if timezone.is_naive(value) else value


def _request_number(text: str) -> int | None:
    """A service_request_id as a case key, or None: ASCII digits only ('²'.isdigit() is true)
    and at most 18 of them, so that it fits the databases' 64-bit keys."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    token = _token(request, required=False)
    cases = _readable(token)
    ids = _split(request.GET.get("service_request_id"))
    if ids:
        # the spec: service_request_id overrides every other filter
        numbers = [n for n in map(_request_number, ids) if n is not None]
        cases = cases.filter(pk__in=numbers)
    else:
        codes = _split(request.GET.get("service_code"))
        if codes:
            cases = cases.filter(Q(category__code__in=codes) | Q(category__parent__code__in=codes))
        start = _moment(request.GET.get("start_date"), "start_date")
        end = _moment(request.GET.get("end_date"), "end_date")
        if start and end and end - start > MAX_SPAN:
            raise Open311Error(
                400,
                "start_date and end_date may not span more than 90 days (时间范围不能超过 90 天)",
            )
        if end is not None and start is None:
            start = end - MAX_SPAN
        elif start is None:
            start = timezone.now() - MAX_SPAN
        elif end is None:
            end = start + MAX_SPAN
        cases = cases.filter(created_at__gte=start)
        if end is not None:
            cases = cases.filter(created_at__lte=end)
        statuses = _split(request.GET.get("status"))
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, "status must be open or closed (状态只能是 open 或 closed)")
        if statuses == ["open"]:
            cases = cases.exclude(status__in=CLOSED_STATUSES)
        elif statuses == ["closed"]:
            cases = cases.filter(status__in=CLOSED_STATUSES)
    rows = _with_details(cases.order_by("-created_at", "-id"))[:MAX_RESULTS]
    staff = token is not None
    return _respond(
        fmt,
        [_request_out(request, c, staff=staff) for c in rows],
        root="service_requests",
        item="request",
    )


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    token = _token(request, required=True)
    if not scope_of(token).can_write:
        raise Open311Error(403, "api_key may not create requests (该令牌为只读)")
    data = request.POST
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required (缺少 service_code)")
    if selectors.category_by_code(code) is None:
        raise Open311Error(404, f"service_code {code} not found (未找到该服务)")
    lat, lng = data.get("lat"), data.get("long")
    address_id = (data.get("address_id") or "").strip()
    if not (lat and lng) and not address_id:
        raise Open311Error(
            400,
            "lat and long, or address_id (a Linli region code), are required"
            "（需要经纬度或区划代码）",
        )
    urgency = (data.get("attribute[urgency]") or Urgency.NORMAL).strip()
    name = " ".join(
        p
        for p in ((data.get("last_name") or "").strip(), (data.get("first_name") or "").strip())
        if p
    )
    case = services.case_report(
        actor=token,
        category_code=code,
        description=data.get("description") or "",
        region_code=address_id or None,
        lng=lng or None,
        lat=lat or None,
        coord_system=(data.get("coord_system") or "wgs84").lower(),
        address=(data.get("address_string") or "")[:200],
        urgency=urgency,
        source="api",
        reporter_name=name,
        reporter_phone=data.get("phone") or "",
        external_ref=(data.get("device_id") or data.get("account_id") or "")[:100],
    )
    notice = (
        f"照片链接（media_url）未下载，请以同一密钥上传照片：POST /api/cases/{case.pk}/photos"
        if data.get("media_url")
        else ""
    )
    payload = [
        {
            "service_request_id": str(case.pk),
            "service_notice": notice,
            "account_id": data.get("account_id") or None,
        }
    ]
    return _respond(fmt, payload, root="service_requests", item="request", status=201)


@csrf_exempt
@_handled
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: query requests; POST: create one (form-encoded, api_key required)."""
    if request.method == "POST":
        return _request_create(request, fmt)
    if request.method not in ("GET", "HEAD"):
        raise Open311Error(405, "method not allowed")
    return _request_list(request, fmt)


@_handled
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    token = _token(request, required=False)
    number = _request_number(request_id)
    case = _with_details(_readable(token).filter(pk=number)).first() if number else None
    if case is None:
        raise Open311Error(404, f"service_request_id {request_id} not found (未找到该诉求)")
    return _respond(
        fmt,
        [_request_out(request, case, staff=token is not None)],
        root="service_requests",
        item="request",
    )


@_handled
def token_detail(request: HttpRequest, fmt: str, token_id: str) -> HttpResponse:
    """Requests are created at once, so a token is its request id."""
    token = _token(request, required=False)
    if not token_id.isdigit() or not _readable(token).filter(pk=int(token_id)).exists():
        raise Open311Error(404, f"token {token_id} not found (未找到该令牌)")
    payload = [{"service_request_id": token_id, "token": token_id}]
    return _respond(fmt, payload, root="service_requests", item="request")
