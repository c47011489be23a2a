import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.test import override_settings
from django.urls import reverse

from linli.core.pii import id_number_error, is_valid_phone
from linli.imports import files, services
from linli.imports.models import ImportJob, Kind
from linli.imports.specs import SPECS
from linli.imports.tests.factories import resident_row, table_bytes
from linli.people.models import Resident

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _upload(client, kind, rows, fmt="csv", name=None):
    data = table_bytes(fmt, rows)
    upload = SimpleUploadedFile(name or f"{kind}.{fmt}", data)
    return client.post(reverse("imports:upload", args=[kind]), {"file": upload})


@pytest.mark.django_db
def test_the_import_centre_lists_every_registry_with_templates(client, county_admin):
    client.force_login(county_admin)
    page = client.get(reverse("imports:centre"))
    assert page.status_code == 200
    html = page.content.decode()
    for kind in Kind.values:  # every registry, the relations too
        assert f'data-testid="kind-{kind}"' in html
        assert reverse("imports:template", args=[kind]) in html
    assert 'type="file"' in html
    assert "<script>" not in html and "onclick" not in html


@pytest.mark.django_db
def test_a_template_downloads_in_both_formats(client, county_admin):
    client.force_login(county_admin)
    response = client.get(reverse("imports:template", args=["residents"]) + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "身份证号" in response.content.decode("utf-8-sig").splitlines()[0]
    xlsx = client.get(reverse("imports:template", args=["residents"]))
    assert xlsx.content.startswith(b"PK")


@pytest.mark.django_db
def test_a_small_good_upload_is_imported_at_once(client, county_admin, grid_a):
    client.force_login(county_admin)
    response = _upload(client, "residents", [resident_row(grid_a.code)])
    job = ImportJob.objects.get()
    assert response.status_code == 302 and f"job={job.pk}" in response["Location"]
    assert job.status == ImportJob.Status.SUCCEEDED and job.report["created"] == 1
    assert job.region_code == "340223000000" and job.actor == county_admin
    assert Resident.objects.count() == 1
    # the uploaded file is not kept once the job has run
    assert not files.source_path(job.pk, "csv").exists()
    page = client.get(response["Location"]).content.decode()
    assert "导入完成：共 1 行，新增 1" in page


@pytest.mark.django_db
def test_a_bad_upload_imports_nothing_and_offers_the_report_to_the_uploader_only(
    client, town_staff_a, county_admin, grid_a
):
    # given town A's staff upload a file with one good and one bad row
    client.force_login(town_staff_a)
    rows = [resident_row(grid_a.code), resident_row(grid_a.code, 手机号="123")]
    response = _upload(client, "residents", rows, fmt="xlsx")
    job = ImportJob.objects.get()
    # the page it lands on shows that job's row errors open, not behind 查看错误
    landing = client.get(response["Location"]).content.decode()
    assert re.search(rf'id="job-{job.pk}".*?<details class="mt-1" open>', landing, re.S)
    # then nothing is imported, the job failed with its row errors
    assert job.status == ImportJob.Status.FAILED and Resident.objects.count() == 0
    assert job.report["errors"] == [
        {"row": 3, "messages": ["手机号格式不正确（应为 11 位手机号）"]}
    ]
    row = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'data-testid="report-link"' in row and "第3行" in row
    assert '<details class="mt-1" open>' in row  # polled to its end: open too
    # and the report is the uploaded rows plus an 错误 column, for the uploader
    report = client.get(reverse("imports:job_download", args=[job.pk]))
    assert report.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "错误"
    assert values[1][-1] in (None, "") and values[2][-1] == "手机号格式不正确（应为 11 位手机号）"
    assert values[2][1] == rows[1]["身份证号"]
    # but the county admin, who sees the job, cannot download the report
    client.force_login(county_admin)
    assert (
        'data-testid="report-link"'
        not in client.get(reverse("imports:job", args=[job.pk])).content.decode()
    )
    assert client.get(reverse("imports:job_download", args=[job.pk])).status_code == 403


@pytest.mark.django_db
def test_a_large_upload_runs_as_a_task_and_its_row_stops_polling(
    client, county_admin, grid_a, monkeypatch
):
    # given uploads above the inline size go to the task queue (immediate in tests)
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 0)
    client.force_login(county_admin)
    _upload(client, "residents", [resident_row(grid_a.code), resident_row(grid_a.code)])
    job = ImportJob.objects.get()
    # then the task ran the job to the end
    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.total, job.processed, job.percent) == (2, 2, 100)
    row = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "hx-trigger" not in row


@pytest.mark.django_db
def test_a_running_job_row_polls_and_shows_its_live_progress(client, county_admin):
    # given a job in its write phase, with a progress file at 3,000 of 4,000 rows
    job = ImportJob.objects.create(
        region=None,
        kind="residents",
        file_format="csv",
        filename="r.csv",
        status=ImportJob.Status.RUNNING,
        actor=county_admin,
    )
    files.ProgressFile(job.pk).write("writing", 3000, 4000, force=True)
    client.force_login(county_admin)
    # when the page polls its row
    row = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    # then the row asks to be polled again and shows 87 % (validating is the first half)
    assert f'hx-get="/imports/jobs/{job.pk}/"' in row
    assert 'hx-trigger="every 1s"' in row
    assert '<progress class="import-progress" max="100" value="87"' in row
    assert "写入中" in row and "3000/4000" in row


@pytest.mark.django_db
def test_another_towns_job_is_not_found(client, town_staff_a, two_towns):
    job = ImportJob.objects.create(
        region=two_towns["b"], kind="residents", file_format="csv", filename="b.csv"
    )
    client.force_login(town_staff_a)
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:job_download", args=[job.pk])).status_code == 404
    assert "b.csv" not in client.get(reverse("imports:centre")).content.decode()


@pytest.mark.django_db
def test_leaders_export_but_cannot_upload(client, leader, grid_a):
    client.force_login(leader)
    page = client.get(reverse("imports:centre")).content.decode()
    assert 'type="file"' not in page
    assert _upload(client, "residents", [resident_row(grid_a.code)]).status_code == 403
    export = client.get(reverse("imports:export", args=["residents"]) + "?format=csv")
    assert export.status_code == 200
    assert "attachment" in export["Content-Disposition"]


@pytest.mark.django_db
def test_a_large_export_becomes_a_job_with_a_download(client, county_admin, grid_a, monkeypatch):
    services.import_run(
        actor=county_admin,
        kind="residents",
        source=table_bytes("csv", [resident_row(grid_a.code, 姓名="导出人")]),
        filename="r.csv",
    )
    monkeypatch.setattr(services, "EXPORT_INLINE_MAX_ROWS", 0)
    client.force_login(county_admin)
    response = client.get(reverse("imports:export", args=["residents"]) + "?format=csv")
    job = ImportJob.objects.get(operation="export")
    assert response.status_code == 302
    assert job.status == ImportJob.Status.SUCCEEDED and job.total == 1
    download = client.get(reverse("imports:job_download", args=[job.pk]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "导出人"


@pytest.mark.django_db(transaction=True)
def test_an_import_job_runs_through_the_database_queue(county_admin, grid_a, monkeypatch):
    # given the real database queue and a job too large to run inline
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 0)
    with override_settings(TASKS=DB_QUEUE):
        job = services.import_job_create(
            actor=county_admin,
            kind="residents",
            source=table_bytes("csv", [resident_row(grid_a.code)]),
            filename="r.csv",
        )
        job = services.import_job_start(job)
        assert job.status == ImportJob.Status.QUEUED
        # when the worker processes the queue
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    # then the job succeeded and the resident is there
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.message
    assert job.report["created"] == 1 and Resident.objects.count() == 1
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_the_templates_examples_of_id_numbers_and_phones_are_valid_ones():
    # A user copies the 填写说明 example: it must pass the checks the import applies.
    checked = 0
    for spec in SPECS.values():
        for column in spec.columns:
            if column.example and "身份证号" in column.header:
                assert id_number_error(column.example) is None, (spec.kind, column.example)
                checked += 1
            if column.example and column.header.endswith("手机号"):
                assert is_valid_phone(column.example), (spec.kind, column.example)
                checked += 1
    assert checked >= 3
