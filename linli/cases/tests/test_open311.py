"""Open311 GeoReport v2 over real HTTP, read by an independent client (the `georeport`
package) and by hand: JSON, and XML parsed and checked field by field."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from georeport import GeoReport
from PIL import Image

from linli.accounts.models import User
from linli.accounts.services import api_token_create
from linli.cases import services
from linli.cases.models import Case, Status
from linli.cases.tests.factories import jpeg_bytes, report

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("linli.cases.tests.urls_open311"),
]

REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)


def _root(live_server) -> str:
    return live_server.url + "/open311/v2"


def _token(region, *, can_write=True) -> str:
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "o311", password="x"
    )
    return api_token_create(actor=admin, name="12345 热线平台", region=region, can_write=can_write)[
        1
    ]


def _xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def test_discovery_and_services(live_server, two_towns):
    root = _root(live_server)
    discovery = httpx.get(root + "/discovery.json").json()
    assert discovery["endpoints"][0]["specification"].endswith("GeoReport_v2")
    xml_discovery = _xml(httpx.get(root + "/discovery.xml"))
    assert xml_discovery.tag == "discovery"
    assert [f.text for f in xml_discovery.find("endpoints/endpoint/formats")] == [
        "text/xml",
        "application/json",
    ]
    # the independent client reads the service list in both formats
    services_json = GeoReport(root).get_service_list()
    codes = {s["service_code"] for s in services_json}
    assert {"env", "env-garbage", "fire", "other"} <= codes
    garbage = next(s for s in services_json if s["service_code"] == "env-garbage")
    assert garbage == {
        "service_code": "env-garbage",
        "service_name": "垃圾清运不及时",
        "description": "",
        "metadata": True,
        "type": "realtime",
        "keywords": "环境卫生",
        "group": "环境卫生",
    }
    services_xml = GeoReport(root, output_format="xml").get_service_list()
    assert {s["service_code"] for s in services_xml} == codes
    # and by hand, field by field
    tree = _xml(httpx.get(root + "/services.xml"))
    node = next(s for s in tree.findall("service") if s.findtext("service_code") == "env-garbage")
    assert [c.tag for c in node] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert node.findtext("metadata") == "true" and node.findtext("type") == "realtime"
    assert node.findtext("group") == "环境卫生"


def test_service_definition(live_server, two_towns):
    root = _root(live_server)
    definition = GeoReport(root).get_service_definition("env-garbage")
    attribute = definition["attributes"][0]
    assert attribute["code"] == "urgency" and attribute["datatype"] == "singlevaluelist"
    assert [v["key"] for v in attribute["values"]] == ["normal", "urgent"]
    tree = _xml(httpx.get(root + "/services/env-garbage.xml"))
    assert tree.tag == "service_definition"
    assert tree.findtext("service_code") == "env-garbage"
    node = tree.find("attributes/attribute")
    assert node.findtext("variable") == "true" and node.findtext("required") == "false"
    assert [v.findtext("key") for v in node.findall("values/value")] == ["normal", "urgent"]
    assert httpx.get(root + "/services/nope.json").status_code == 404


def test_posting_a_request_and_reading_it_back(live_server, two_towns, grid_a, town_staff_a):
    root = _root(live_server)
    token = _token(two_towns["a"])
    # when another system posts a request, form-encoded, with its api_key
    response = httpx.post(
        root + "/requests.json",
        data={
            "api_key": token,
            "service_code": "muni-light",
            "address_id": grid_a.code,
            "lat": "30.9197",
            "long": "118.3336",
            "address_string": "幸福路 3 号路灯",
            "description": "幸福路 3 号路灯不亮，请联系 13812345678",
            "first_name": "明",
            "last_name": "李",
            "phone": "13812345678",
            "device_id": "hotline-0001",
            "attribute[urgency]": "urgent",
        },
    )
    # then it is created at once
    assert response.status_code == 201, response.text
    [created] = response.json()
    case = Case.objects.get(pk=int(created["service_request_id"]))
    assert case.source == "api" and case.urgency == "urgent" and case.reporter_name == "李 明"
    assert case.external_ref == "hotline-0001"
    # and the independent client reads it (public read: phone masked, no reporter)
    client = GeoReport(root)
    request = client.get_service_request(created["service_request_id"])
    assert set(request) == set(REQUEST_FIELDS)
    assert request["status"] == "open" and request["service_code"] == "muni-light"
    assert "138****5678" in request["description"] and "13812345678" not in request["description"]
    assert request["expected_datetime"] is None
    assert request["address_id"] == grid_a.code and request["long"] == pytest.approx(118.3336)
    # once dispatched, expected_datetime is the resolution deadline
    services.case_dispatch(
        actor=town_staff_a,
        case_id=case.pk,
        worker_id=None,
        department_ids=[_department(two_towns).pk],
    )
    case.refresh_from_db()
    tree = _xml(httpx.get(f"{root}/requests/{case.pk}.xml"))
    node = tree.find("request")
    assert [c.tag for c in node] == list(REQUEST_FIELDS)
    assert node.findtext("service_request_id") == str(case.pk)
    assert node.findtext("status") == "open"
    assert node.findtext("expected_datetime") == case.resolve_deadline.astimezone(
        timezone.get_fixed_timezone(480)
    ).isoformat(timespec="seconds")
    assert node.findtext("agency_responsible") == "城管"
    assert node.findtext("requested_datetime").endswith("+08:00")
    assert float(node.findtext("lat")) == pytest.approx(30.9197)
    # and the token route answers the same id
    assert httpx.get(f"{root}/tokens/{case.pk}.json").json() == [
        {"service_request_id": str(case.pk), "token": str(case.pk)}
    ]


def _department(two_towns):
    from linli.orgs.models import Organisation

    return Organisation.objects.get_or_create(
        region=two_towns["county"], name="城管", kind="department"
    )[0]


def test_an_open311_client_adds_its_photo_through_the_api(live_server, two_towns, grid_a):
    # given a request posted the Open311 way, with a media_url we do not fetch
    root = _root(live_server)
    token = _token(two_towns["a"])
    response = httpx.post(
        root + "/requests.json",
        data={
            "api_key": token,
            "service_code": "env-garbage",
            "address_id": grid_a.code,
            "description": "幸福路口垃圾堆了三天",
            "media_url": "http://intranet.example/photo/1.jpg",
        },
    )
    assert response.status_code == 201, response.text
    [created] = response.json()
    request_id = created["service_request_id"]
    assert f"/api/cases/{request_id}/photos" in created["service_notice"]
    # when it sends the photo itself to the cases API with the same key
    upload = httpx.post(
        f"{live_server.url}/api/cases/{request_id}/photos",
        headers={"Authorization": f"Bearer {token}"},
        files=[("photos", ("p.jpg", jpeg_bytes(gps=(118.3336, 30.9197)), "image/jpeg"))],
    )
    assert upload.status_code == 201, upload.text
    # then the independent client reads the request with its media_url, a JPEG without GPS
    request = GeoReport(root).get_service_request(request_id)
    assert set(request) == set(REQUEST_FIELDS)
    assert request["media_url"] == upload.json()[0]["url"]
    with Image.open(io.BytesIO(httpx.get(request["media_url"]).content)) as shown:
        assert shown.format == "JPEG" and not shown.getexif()


def test_posting_errors_answer_the_open311_error_body(live_server, two_towns, grid_a, community_b):
    root = _root(live_server)
    url = root + "/requests.json"
    base = {"service_code": "env", "address_id": grid_a.code, "description": "路边垃圾没人清理"}
    cases = [
        ({**base}, 400, "api_key"),
        ({**base, "api_key": "lnl_wrong"}, 403, "api_key"),
        ({**base, "api_key": _token(two_towns["a"], can_write=False)}, 403, "只读"),
        ({**base, "api_key": _token(two_towns["a"]), "service_code": ""}, 400, "service_code"),
        ({**base, "api_key": _token(two_towns["a"]), "service_code": "nope"}, 404, "service_code"),
        ({**base, "api_key": _token(two_towns["a"]), "address_id": ""}, 400, "address_id"),
        ({**base, "api_key": _token(two_towns["a"]), "description": "短"}, 400, "至少"),
        ({**base, "api_key": _token(two_towns["a"]), "address_id": community_b.code}, 404, "区划"),
    ]
    for data, status, word in cases:
        response = httpx.post(url, data=data)
        assert response.status_code == status, (data, response.text)
        [error] = response.json()
        assert error["code"] == status and word in error["description"]
    assert Case.objects.count() == 0
    # the XML error body
    tree = _xml(httpx.post(root + "/requests.xml", data=base))
    assert tree.tag == "errors"
    assert tree.findtext("error/code") == "400" and "api_key" in tree.findtext("error/description")


def test_request_queries_filter_as_the_spec_says(
    live_server, two_towns, grid_a, grid_worker, resident
):
    root = _root(live_server)
    open_case = report(resident, grid_a, category_code="env-garbage")
    done = report(grid_worker, grid_a, category_code="road-damage", self_handle=True)
    services.case_resolve(actor=grid_worker, case_id=done.pk, result="已修补")
    private = report(
        resident, grid_a, category_code="dispute-noise", description="楼上每晚噪音扰民"
    )
    client = GeoReport(root)
    public = {r["service_request_id"] for r in client.get_service_requests()}
    # the public feed leaves out private categories
    assert public == {str(open_case.pk), str(done.pk)}
    assert [r["service_request_id"] for r in client.get_service_requests(status="closed")] == [
        str(done.pk)
    ]
    assert [r["service_request_id"] for r in client.get_service_requests(status="open")] == [
        str(open_case.pk)
    ]
    assert [r["service_request_id"] for r in client.get_service_requests(service_code="road")] == [
        str(done.pk)
    ]
    by_id = client.get_service_requests(service_request_id=f"{open_case.pk},{private.pk}")
    assert [r["service_request_id"] for r in by_id] == [str(open_case.pk)]
    closed = next(
        r for r in client.get_service_requests() if r["service_request_id"] == str(done.pk)
    )
    assert closed["status_notes"] == "已修补"
    # with an api_key the region's staff view includes private categories
    token = _token(two_towns["a"])
    staff = httpx.get(root + "/requests.json", params={"api_key": token}).json()
    assert str(private.pk) in {r["service_request_id"] for r in staff}
    other_town = httpx.get(
        root + "/requests.json", params={"api_key": _token(two_towns["b"])}
    ).json()
    assert other_town == []
    # dates: a window, and the 90-day limit
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.get_service_requests(start_date=future) == []
    start = (timezone.now() - timedelta(days=200)).isoformat()
    response = httpx.get(
        root + "/requests.json",
        params={"start_date": start, "end_date": timezone.now().isoformat()},
    )
    assert response.status_code == 400 and "90" in response.json()[0]["description"]
    xml_list = _xml(httpx.get(root + "/requests.xml"))
    assert xml_list.tag == "service_requests"
    assert {r.findtext("service_request_id") for r in xml_list.findall("request")} == public
    assert httpx.get(root + f"/requests/{private.pk}.json").status_code == 404
    assert Case.objects.get(pk=done.pk).status == Status.RESOLVED


def test_malformed_queries_and_texts_are_400s_not_500s(live_server, two_towns, grid_a, resident):
    # each of these answered 500 (found by probing the demo county by hand)
    root = _root(live_server)
    report(resident, grid_a)
    for query, word in [
        ("start_date=2026-13-45T00:00:00Z", "start_date"),  # well formed, no such month
        ("end_date=2026-01-01T00:00:00%2B99:00", "end_date"),  # no such offset
    ]:
        response = httpx.get(f"{root}/requests.json?{query}")
        assert response.status_code == 400, (query, response.text)
        [error] = response.json()
        assert error["code"] == 400 and word in error["description"]
    # an id past 64 bits, or digits Python reads but a key cannot be, matches nothing
    for ids in ("99999999999999999999999", "²", "１２"):
        response = httpx.get(f"{root}/requests.json", params={"service_request_id": ids})
        assert response.status_code == 200 and response.json() == [], (ids, response.text)
        assert httpx.get(f"{root}/requests/{ids}.json").status_code == 404
    # a description of NUL characters is not a report (SQLite stored it, PostgreSQL failed)
    response = httpx.post(
        root + "/requests.json",
        data={
            "api_key": _token(two_towns["a"]),
            "service_code": "env",
            "address_id": grid_a.code,
            "description": "\x00" * 8,
        },
    )
    assert response.status_code == 400, response.text
    assert "控制字符" in response.json()[0]["description"]
    assert Case.objects.count() == 1
