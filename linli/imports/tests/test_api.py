"""The imports API over real HTTP: upload a file as a job, read the job, export a file."""

import httpx
import pytest

from linli.accounts.models import User
from linli.accounts.services import api_token_create
from linli.imports.models import ImportJob
from linli.imports.tests.factories import resident_row, table_bytes
from linli.people.models import Resident

pytestmark = pytest.mark.django_db(transaction=True)


def _token(region, can_write=True):
    root = User.objects.filter(username="api_root").first() or User.objects.create_superuser(
        "api_root", password="x"
    )
    return api_token_create(actor=root, name="导入系统", region=region, can_write=can_write)[1]


def _headers(token):
    return {"Authorization": f"Bearer {token}"}


def _upload(live_server, token, kind, data, name="r.csv", **form):
    return httpx.post(
        f"{live_server.url}/api/imports/{kind}/jobs",
        headers=_headers(token),
        files={"file": (name, data)},
        data=form,
        timeout=30,
    )


def test_an_upload_answers_with_the_finished_job(live_server, two_towns, grid_a):
    token = _token(two_towns["a"])
    response = _upload(
        live_server, token, "residents", table_bytes("csv", [resident_row(grid_a.code)])
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["status"], body["kind"], body["created"], body["errors"]) == (
        "succeeded",
        "residents",
        1,
        [],
    )
    assert body["region_code"] == two_towns["a"].code
    assert body["actor_label"] == "API 令牌 导入系统"
    assert Resident.objects.count() == 1
    # and the job can be read again, and is listed
    detail = httpx.get(f"{live_server.url}/api/imports/jobs/{body['id']}", headers=_headers(token))
    assert detail.status_code == 200 and detail.json()["message"].startswith("导入完成")
    listing = httpx.get(f"{live_server.url}/api/imports/jobs", headers=_headers(token)).json()
    assert [item["id"] for item in listing["items"]] == [body["id"]]


def test_a_bad_file_answers_with_the_row_errors_and_imports_nothing(
    live_server, two_towns, grid_a, grid_b
):
    token = _token(two_towns["a"])
    rows = [resident_row(grid_a.code), resident_row(grid_b.code)]
    body = _upload(live_server, token, "residents", table_bytes("xlsx", rows), name="r.xlsx").json()
    assert body["status"] == "failed" and body["error_count"] == 1
    assert body["errors"][0]["row"] == 3
    assert "不在您的管理范围内" in body["errors"][0]["messages"][0]
    assert Resident.objects.count() == 0


def test_an_upload_can_be_narrowed_to_a_region(live_server, two_towns, grid_a, community_b):
    token = _token(two_towns["county"])
    data = table_bytes("csv", [resident_row(grid_a.code)])
    body = _upload(live_server, token, "residents", data, region=community_b.code).json()
    assert body["status"] == "failed"
    assert body["region_code"] == community_b.code


def test_uploads_are_refused_to_read_only_tokens_and_unknown_kinds(live_server, two_towns, grid_a):
    data = table_bytes("csv", [resident_row(grid_a.code)])
    read_only = _upload(live_server, _token(two_towns["a"], can_write=False), "residents", data)
    assert read_only.status_code == 403 and read_only.json()["code"] == "read_only"
    unknown = _upload(live_server, _token(two_towns["a"]), "aliens", data)
    assert unknown.status_code == 404 and unknown.json()["code"] == "import_kind_unknown"
    missing = httpx.post(
        f"{live_server.url}/api/imports/residents/jobs",
        headers=_headers(_token(two_towns["a"])),
        timeout=10,
    )
    assert missing.status_code == 422 and missing.json()["code"] == "file_required"
    assert ImportJob.objects.count() == 0


def test_an_export_is_a_job_with_a_masked_file(live_server, two_towns, grid_a, county_admin):
    from linli.imports import services

    row = resident_row(grid_a.code)
    services.import_run(
        actor=county_admin, kind="residents", source=table_bytes("csv", [row]), filename="r.csv"
    )
    token = _token(two_towns["a"])
    job = httpx.post(
        f"{live_server.url}/api/imports/residents/exports?format=csv",
        headers=_headers(token),
        timeout=30,
    ).json()
    assert job["status"] == "succeeded" and job["total"] == 1
    assert job["file_url"] == f"/api/imports/jobs/{job['id']}/file"
    file = httpx.get(live_server.url + job["file_url"], headers=_headers(token), timeout=10)
    assert file.status_code == 200
    text = file.content.decode("utf-8-sig")
    assert row["姓名"] in text
    assert row["身份证号"] not in text and row["手机号"] not in text
    # and town B's token neither sees the job nor its file
    other = _token(two_towns["b"])
    assert httpx.get(live_server.url + job["file_url"], headers=_headers(other)).status_code == 404
