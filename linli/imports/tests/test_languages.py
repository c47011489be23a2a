"""The choice labels are translated on the pages; an import file reads the same in any language."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from linli.imports import cells
from linli.imports.models import ImportJob
from linli.imports.tests.factories import resident_row, table_bytes
from linli.people.models import Resident, Tag


def test_a_choice_map_holds_the_chinese_labels_whatever_the_language():
    with translation.override("en"):
        statuses = cells.choice_map(Resident.Status)
        tags = cells.choice_map(Tag)
    assert statuses["在册"] == statuses["Registered"] == statuses["active"] == "active"
    assert tags["独居"] == tags["Living alone"] == Tag.LIVING_ALONE
    errors: list[str] = []
    with translation.override("en"):
        assert cells.choice("未知", "状态", errors, statuses) is None
    # the message lists the labels a file is filled in with
    assert "在册、迁出、死亡" in errors[0]


@pytest.mark.django_db
def test_an_english_session_imports_a_file_filled_in_chinese(client, county_admin, grid_a):
    client.force_login(county_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    row = resident_row(grid_a.code, 居住类型="流动", 状态="在册", 标签="独居、低保")
    upload = SimpleUploadedFile("residents.csv", table_bytes("csv", [row]))
    client.post(reverse("imports:upload", args=["residents"]), {"file": upload})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED, job.report
    resident = Resident.objects.get()
    assert resident.residence_type == "floating"
    assert set(resident.tags.values_list("tag", flat=True)) == {Tag.LIVING_ALONE, Tag.DIBAO}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "order"),
    [
        ("zh-hans", "楼栋 → 户 → 居民 → 组织 → 组织成员 → 服务设施 → 社区工作者"),
        ("en", "Buildings → Households → Residents → Organisations → Organisation members"),
    ],
)
def test_the_import_centre_states_the_order_of_every_kind(client, county_admin, language, order):
    client.force_login(county_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("imports:centre")).content.decode()
    assert order in html


def test_the_column_rules_list_the_chinese_labels_in_any_language():
    from django.utils import translation

    from linli.imports import specs
    from linli.people.models import Resident

    with translation.override("en"):
        rules = specs._choice_labels(Resident.Status)
    assert rules == "在册、迁出、死亡"
