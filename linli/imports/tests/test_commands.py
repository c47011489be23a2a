import io

import pytest
from django.core.management import CommandError, call_command

from linli.imports.models import ImportJob
from linli.imports.tests.factories import resident_row, table_bytes
from linli.people.models import Resident


@pytest.mark.django_db
def test_import_registry_shows_progress_and_imports(tmp_path, grid_a, county_admin):
    path = tmp_path / "居民.csv"
    path.write_bytes(table_bytes("csv", [resident_row(grid_a.code) for _ in range(3)]))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_registry",
        "residents",
        str(path),
        "--user",
        county_admin.username,
        stdout=out,
        stderr=err,
    )
    assert "导入完成：共 3 行，新增 3" in out.getvalue()
    # a progress line per phase (not a terminal: one line per step, no carriage returns)
    assert "[##############################] 100%  校验 3/3" in err.getvalue()
    assert "写入 3/3" in err.getvalue()
    assert Resident.objects.count() == 3
    job = ImportJob.objects.get()
    assert job.actor == county_admin and job.status == "succeeded"


@pytest.mark.django_db
def test_import_registry_reports_errors_and_writes_the_report(tmp_path, grid_a):
    path = tmp_path / "居民.csv"
    path.write_bytes(table_bytes("csv", [resident_row(grid_a.code, 手机号="1")]))
    report = tmp_path / "错误.csv"
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 行错误"):
        call_command(
            "import_registry",
            "residents",
            str(path),
            "--report",
            str(report),
            "--no-progress",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "第2行：手机号格式不正确" in err.getvalue()
    assert report.read_bytes().decode("utf-8-sig").splitlines()[0].endswith(",错误")
    assert Resident.objects.count() == 0


@pytest.mark.django_db
def test_export_registry_writes_a_masked_file(tmp_path, grid_a, county_admin):
    from linli.imports import services

    row = resident_row(grid_a.code)
    services.import_run(
        actor=county_admin, kind="residents", source=table_bytes("csv", [row]), filename="a.csv"
    )
    target = tmp_path / "out.csv"
    out = io.StringIO()
    call_command("export_registry", "residents", str(target), stdout=out, stderr=io.StringIO())
    text = target.read_bytes().decode("utf-8-sig")
    assert row["姓名"] in text and row["身份证号"] not in text
    assert "已导出 1 行" in out.getvalue()


def test_the_progress_bar_redraws_in_place_on_a_terminal():
    from linli.imports.management.commands._progress import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = ProgressBar(stream)
    bar("validating", 1, 4)
    bar("validating", 4, 4)
    bar.done()
    text = stream.getvalue()
    assert text.startswith("\r[#######-----------------------]  25%  校验 1/4")
    assert "\r[##############################] 100%  校验 4/4" in text and text.endswith("\n")
