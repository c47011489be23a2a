import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linli.regions.models import Region

pytestmark = pytest.mark.django_db

HEADER = "区划代码,名称,层级,上级代码,城乡分类代码,中心经度,中心纬度,人口,户数\n"


def _csv(body: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("regions.csv", (HEADER + body).encode("utf-8"), "text/csv")


def test_town_staff_see_their_town_and_not_the_other(client, town_staff_a):
    client.force_login(town_staff_a)
    html = client.get(reverse("regions:tree")).content.decode()
    assert "陵阳社区" in html
    assert "澄桥村" not in html
    assert "三里镇" not in html


def test_the_tree_calls_a_regions_population_figure_what_it_is(client, town_staff_a):
    # the region's own figure (statistics), not the registry's count of residents
    Region.objects.filter(code="340223100001").update(population=403)
    client.force_login(town_staff_a)
    html = client.get(reverse("regions:tree")).content.decode()
    assert "统计人口 403 人" in html and "不是居民库在册人数" in html


def test_drilling_into_another_towns_region_answers_404(client, town_staff_a):
    client.force_login(town_staff_a)
    assert client.get(reverse("regions:tree") + "?root=340223106201").status_code == 404
    assert client.get(reverse("regions:tree") + "?root=340223100001").status_code == 200


def test_the_region_switcher_narrows_the_pages(client, county_admin):
    client.force_login(county_admin)
    response = client.post(reverse("regions:switch"), {"prefix": "340223106", "next": "/regions/"})
    assert response.status_code == 302
    html = client.get(reverse("regions:tree")).content.decode()
    assert "澄桥村" in html
    assert "陵阳社区" not in html
    # clearing the choice shows the whole county again
    client.post(reverse("regions:switch"), {"prefix": "", "next": "/regions/"})
    assert "陵阳社区" in client.get(reverse("regions:tree")).content.decode()


def test_the_switcher_refuses_a_region_outside_the_scope(client, town_staff_a):
    client.force_login(town_staff_a)
    client.post(reverse("regions:switch"), {"prefix": "340223106", "next": "/regions/"})
    html = client.get(reverse("regions:tree")).content.decode()
    assert "陵阳社区" in html  # unchanged: still the own town
    assert "澄桥村" not in html


def test_a_bad_import_changes_nothing_and_offers_the_error_report(client, county_admin):
    client.force_login(county_admin)
    before = Region.objects.count()
    upload = _csv(
        "340223100002,城东社区,社区,340223100000,111,,,,\n"
        "340223100003,城西社区,社区,340223999000,111,,,,\n"  # unknown parent
        "3402231,短代码,社区,340223100000,111,,,,\n"  # bad length
    )
    response = client.post(reverse("regions:import"), {"file": upload})
    html = response.content.decode()
    assert "导入文件有 2 行错误，未导入任何数据" in html
    assert Region.objects.count() == before
    # the row-by-row report downloads with the original rows and an error column
    token = response.context["report_token"]
    report = client.get(reverse("core:download", args=[token]))
    assert report.status_code == 200
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].endswith("错误")
    assert "340223999000" in text
    # and nobody else can fetch it
    client.logout()
    assert client.get(reverse("core:download", args=[token])).status_code == 302


def test_a_good_import_writes_every_row(client, county_admin):
    client.force_login(county_admin)
    upload = _csv(
        "340223100002,城东社区,社区,340223100000,111,118.33,30.92,5000,1800\n"
        "340223100002001,城东社区第1网格,网格,340223100002,,,,,\n"
    )
    response = client.post(reverse("regions:import"), {"file": upload})
    assert response.status_code == 302
    assert Region.objects.get(code="340223100002001").parent.name == "城东社区"


def test_export_downloads_what_the_user_sees(client, town_staff_a):
    client.force_login(town_staff_a)
    response = client.get(reverse("regions:export") + "?format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "340223100001" in codes
    assert "340223106201" not in codes


def test_the_template_downloads_with_the_rules(client, town_staff_a):
    client.force_login(town_staff_a)
    response = client.get(reverse("regions:template") + "?format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]][:3] == ["区划代码", "名称", "层级"]
    assert "填写说明" in book.sheetnames


def test_a_grid_worker_cannot_import(client, grid_a):
    from linli.accounts.models import Role
    from linli.accounts.tests.factories import user_with_role

    client.force_login(user_with_role(Role.GRID_WORKER, grid_a))
    assert client.get(reverse("regions:import")).status_code == 403
