from datetime import date

import pytest

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.core.errors import Forbidden
from linli.core.models import AuditEntry
from linli.core.pii import blind_index
from linli.imports import services
from linli.imports.tests.factories import new_id, resident_row, table_bytes
from linli.people.models import Household, Resident, ResidentMove, ResidentTag
from linli.people.tests.factories import make_household, make_resident


def _import(actor, rows, fmt="csv"):
    return services.import_run(
        actor=actor, kind="residents", source=table_bytes(fmt, rows), filename=f"居民.{fmt}"
    )


def _errors(actor, rows, fmt="csv"):
    with pytest.raises(services.ImportFailed) as failed:
        _import(actor, rows, fmt)
    return failed.value.report.errors


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_good_file_imports_every_resident(fmt, county_admin, grid_a, community_b):
    # given a household in grid A and a file of two residents, one the head of that household
    household = make_household(grid_a, number="LY-0001")
    rows = [
        resident_row(
            grid_a.code, 姓名="张三", 户编号="LY-0001", 与户主关系="户主", 标签="独居、党员"
        ),
        resident_row(
            community_b.code,
            姓名="李四",
            标签="残疾",
            残疾类别="肢体",
            残疾等级="二级",
            居住类型="流动",
        ),
    ]
    # when the county admin imports it
    report = _import(county_admin, rows, fmt)
    # then both are created with encrypted PII, blind indexes, pinyin, tags and the head
    assert (report.total, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    zhang = Resident.objects.get(name="张三")
    assert zhang.id_number == rows[0]["身份证号"]
    assert zhang.id_number_hash == blind_index(rows[0]["身份证号"])
    assert zhang.phone == rows[0]["手机号"] and zhang.phone_hash == blind_index(zhang.phone)
    assert (zhang.name_pinyin, zhang.name_initials) == ("zhangsan", "zs")
    assert zhang.region_code == grid_a.code and zhang.household_id == household.pk
    assert (zhang.gender, zhang.birth_date) == ("M", date(1960, 5, 1))
    assert set(zhang.tags.values_list("tag", flat=True)) == {"living_alone", "party_member"}
    household.refresh_from_db()
    assert household.head_id == zhang.pk
    li = Resident.objects.get(name="李四")
    assert li.residence_type == "floating" and li.region_code == community_b.code
    tag = ResidentTag.objects.get(resident=li)
    assert (tag.tag, tag.disability_kind, tag.disability_grade) == ("disability", "physical", 2)
    assert tag.region_code == community_b.code
    # and the import is in the audit log
    assert AuditEntry.objects.filter(model_label="people.Resident", object_pk="import").exists()


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(county_admin, grid_a):
    # given an imported file
    make_household(grid_a, number="H1")
    rows = [
        resident_row(grid_a.code, 户编号="H1", 与户主关系="户主", 标签="独居"),
        resident_row(grid_a.code, 标签="残疾", 残疾类别="视力", 残疾等级="1"),
    ]
    _import(county_admin, rows)
    before = list(Resident.objects.order_by("pk").values_list("pk", "updated_at"))
    audit_before = AuditEntry.objects.filter(action="update").count()
    # when it is imported again (as XLSX this time)
    report = _import(county_admin, rows, "xlsx")
    # then every row is unchanged and nothing was written
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Resident.objects.order_by("pk").values_list("pk", "updated_at")) == before
    assert ResidentTag.objects.count() == 2
    assert AuditEntry.objects.filter(action="update").count() == audit_before


@pytest.mark.django_db
def test_a_known_id_number_updates_that_resident(county_admin, grid_a, community_a):
    # given a resident registered in grid A with a phone
    id_number = new_id()
    resident = make_resident(make_household(grid_a), name="王五", id_number=id_number)
    # when a file moves them to the community with a new phone and name
    report = _import(
        county_admin,
        [resident_row(community_a.code, 姓名="王武", 身份证号=id_number, 手机号="13700000001")],
    )
    # then the same row is updated (name keys, phone and its index), and the move is recorded
    assert (report.created, report.updated) == (0, 1)
    resident.refresh_from_db()
    assert (resident.name, resident.name_pinyin) == ("王武", "wangwu")
    assert resident.phone == "13700000001" and resident.phone_hash == blind_index("13700000001")
    assert resident.region_code == community_a.code
    move = ResidentMove.objects.get(resident=resident)
    assert move.from_region_code == grid_a.code and move.region_code == community_a.code
    # and the audit entry shows the change with the phone masked
    entry = AuditEntry.objects.get(action="update", object_pk=str(resident.pk))
    assert entry.changes["changed"]["phone"] == ["****", "137****0001"]
    assert "13700000001" not in str(entry.changes)


@pytest.mark.django_db
def test_blank_optional_cells_keep_stored_values(county_admin, grid_a):
    # given a resident with a phone and a tag
    id_number = new_id()
    _import(county_admin, [resident_row(grid_a.code, 身份证号=id_number, 标签="党员")])
    phone = Resident.objects.get().phone
    # when a row for them has no phone and no tags
    report = _import(
        county_admin,
        [{"姓名": Resident.objects.get().name, "身份证号": id_number, "所在区划代码": grid_a.code}],
    )
    # then nothing changes
    assert report.unchanged == 1
    assert Resident.objects.get().phone == phone
    assert ResidentTag.objects.count() == 1


@pytest.mark.django_db
def test_each_bad_row_is_reported_and_nothing_is_imported(county_admin, grid_a, two_towns):
    # given a file with one good row and one bad row of each kind
    good = resident_row(grid_a.code)
    bad_check = new_id()
    bad_check = bad_check[:17] + ("0" if bad_check[17] != "0" else "1")
    rows = [
        good,
        resident_row(grid_a.code, 身份证号=bad_check),  # row 3
        resident_row(grid_a.code, 出生日期="1961-13-40"),  # row 4
        resident_row("340223999999"),  # row 5
        resident_row(grid_a.code, 身份证号=good["身份证号"]),  # row 6
        resident_row(grid_a.code, 手机号="12345"),  # row 7
        resident_row(grid_a.code, 标签="独居、神仙"),  # row 8
        resident_row(grid_a.code, 出生日期="1970-01-01"),  # row 9: not the ID's date
        resident_row(grid_a.code, 性别="女"),  # row 10: the ID says male
        resident_row(two_towns["a"].code),  # row 11: a town, not a community or grid
        resident_row(grid_a.code, 身份证号="340223********1234"),  # row 12: masked
        resident_row(grid_a.code, 户编号="NOPE"),  # row 13: unknown household
        resident_row(grid_a.code, 标签="高龄", birth=date(1990, 1, 1)),  # row 14: too young
    ]
    # when it is imported
    errors = _errors(county_admin, rows)
    # then every bad row, and only those, is reported in Chinese by spreadsheet row
    assert sorted(errors) == list(range(3, 15))
    assert errors[3] == ["身份证号校验位不正确"]
    assert errors[4] == ["出生日期不是有效日期（格式如 2024-01-31）"]
    assert errors[5] == ["区划代码 340223999999 不存在"]
    assert errors[6] == ["身份证号与第2行重复"]
    assert errors[7] == ["手机号格式不正确（应为 11 位手机号）"]
    assert errors[8][0].startswith("未知标签“神仙”")
    assert errors[9] == ["出生日期与身份证号不一致"]
    assert errors[10] == ["性别与身份证号不一致"]
    assert "镇/街道" in errors[11][0]
    assert "脱敏" in errors[12][0]
    assert "户编号“NOPE”" in errors[13][0]
    assert "80周岁" in errors[14][0]
    assert Resident.objects.count() == 0
    # and no message repeats a phone or an ID number
    assert not any(good["身份证号"] in m or "12345" in m for ms in errors.values() for m in ms)


@pytest.mark.django_db
def test_rows_outside_the_actors_region_are_refused(town_staff_a, grid_a, grid_b):
    # given town A's staff and a file with a row in town B
    rows = [resident_row(grid_a.code), resident_row(grid_b.code)]
    # when they import it
    errors = _errors(town_staff_a, rows)
    # then the town B row is refused and nothing is written
    assert list(errors) == [3]
    assert "不在您的管理范围内" in errors[3][0]
    assert Resident.objects.count() == 0


@pytest.mark.django_db
def test_an_id_registered_in_another_town_is_a_duplicate(town_staff_a, grid_a, grid_b):
    # given a resident registered in town B
    id_number = new_id()
    make_resident(make_household(grid_b), id_number=id_number)
    # when town A imports a row with that ID number
    errors = _errors(town_staff_a, [resident_row(grid_a.code, 身份证号=id_number)])
    # then it is refused: the person is another town's, nothing changes
    assert "管理范围以外的辖区登记" in errors[2][0]
    assert Resident.objects.get(id_number_hash=blind_index(id_number)).region_code == grid_b.code


@pytest.mark.django_db
def test_read_only_accounts_cannot_import(leader, grid_a):
    with pytest.raises(Forbidden):
        _import(leader, [resident_row(grid_a.code)])
    assert Resident.objects.count() == 0


@pytest.mark.django_db
def test_missing_columns_and_empty_files_are_refused(county_admin, grid_a):
    with pytest.raises(services.ValidationFailed) as missing:
        services.import_run(
            actor=county_admin, kind="residents", source="姓名\n张三\n".encode(), filename="a.csv"
        )
    assert missing.value.code == "missing_columns"
    assert "身份证号" in missing.value.message
    with pytest.raises(services.ValidationFailed) as empty:
        services.import_run(
            actor=county_admin,
            kind="residents",
            source="姓名,身份证号,所在区划代码\n".encode(),
            filename="a.csv",
        )
    assert empty.value.code == "import_empty"


@pytest.mark.django_db
def test_two_heads_for_one_household_are_refused(county_admin, grid_a):
    make_household(grid_a, number="H9")
    rows = [
        resident_row(grid_a.code, 户编号="H9", 与户主关系="户主"),
        resident_row(grid_a.code, 户编号="H9", 与户主关系="户主"),
    ]
    errors = _errors(county_admin, rows)
    assert errors == {3: ["户编号“H9”在第2行已有户主"]}
    assert Household.objects.get(number="H9").head_id is None


@pytest.mark.django_db
def test_an_existing_disability_tag_gets_new_details(county_admin, grid_a):
    id_number = new_id()
    row = resident_row(grid_a.code, 身份证号=id_number, 标签="残疾", 残疾类别="听力", 残疾等级="3")
    _import(county_admin, [row])
    report = _import(county_admin, [{**row, "残疾等级": "四级"}])
    assert report.updated == 1
    assert ResidentTag.objects.get().disability_grade == 4


@pytest.mark.django_db
def test_a_town_staff_member_imports_within_their_town(grid_a):
    # given a town staff member of town A (no county role)
    staff = user_with_role(Role.COMMUNITY_WORKER, grid_a.parent, username="cw")
    report = _import(staff, [resident_row(grid_a.code)])
    assert report.created == 1


@pytest.mark.django_db
def test_grid_workers_do_not_import_the_registry(grid_a):
    # given a grid worker (a writable scope, but only phones and tags of the registry)
    worker = user_with_role(Role.GRID_WORKER, grid_a, username="gw")
    # when they import residents of their own grid
    errors = _errors(worker, [resident_row(grid_a.code)])
    # then the row is refused by the registry's write rule
    assert errors == {2: [f"您无权在区划 {grid_a.code}（{grid_a.name}）登记数据"]}
