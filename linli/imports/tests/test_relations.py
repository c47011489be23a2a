"""The registry's relations as tables: an organisation's 上级组织, a facility's 运营主体,
组织成员, and a worker's 职业资格证书 and 培训记录 — good files, errors, no-ops."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from openpyxl import load_workbook

from linli.core.models import AuditEntry
from linli.core.pii import blind_index
from linli.facilities.models import Facility, FacilityType
from linli.imports import services
from linli.imports.tests.factories import import_errors, import_rows, new_id
from linli.orgs.models import CREDIT_CODE_CHARS, CREDIT_CODE_WEIGHTS, Membership, Organisation
from linli.people.tests.factories import make_household, make_resident

pytestmark = pytest.mark.django_db


def credit_code(body: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters (GB 32100 check character)."""
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS))
    return body + CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def make_org(region, name, kind=Organisation.Kind.SOCIAL, **fields):
    return Organisation.objects.create(region=region, name=name, kind=kind, **fields)


def org_row(region, name, kind="社区社会组织", **cells):
    return {"所在区划代码": region.code, "名称": name, "类型": kind, **cells}


# --- 上级组织 -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_parents_by_name_by_credit_code_and_from_later_rows(
    fmt, county_admin, community_a, grid_a, two_towns
):
    # given a town committee on file with a credit code, and a county federation
    code = credit_code("51340223MJ0000001")
    make_org(two_towns["a"], "籍山镇社会组织联合会", credit_code=code)
    make_org(two_towns["county"], "南陵县志愿者协会")
    rows = [
        # a parent by the name of a row further down the file, in the region above
        org_row(grid_a, "第一网格志愿队", "志愿服务队", 上级组织="陵阳社区志愿服务总队"),
        org_row(community_a, "陵阳社区志愿服务总队", "志愿服务队", 上级组织="南陵县志愿者协会"),
        org_row(community_a, "陵阳社区老年协会", 上级组织=code),
        org_row(community_a, "陵阳社区舞蹈队"),
    ]
    # when the file is imported
    report = import_rows(county_admin, "organisations", rows, fmt)
    # then each organisation has its parent, wherever that parent was found
    assert report.created == 4
    parent_of = dict(Organisation.objects.values_list("name", "parent__name"))
    assert parent_of["第一网格志愿队"] == "陵阳社区志愿服务总队"
    assert parent_of["陵阳社区志愿服务总队"] == "南陵县志愿者协会"
    assert parent_of["陵阳社区老年协会"] == "籍山镇社会组织联合会"
    assert parent_of["陵阳社区舞蹈队"] is None
    # and importing the same file again changes nothing
    again = import_rows(county_admin, "organisations", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_a_new_parent_updates_a_stored_organisation_with_an_audit_entry(county_admin, community_a):
    make_org(community_a, "甲协会")
    make_org(community_a, "乙协会")
    team = make_org(community_a, "舞蹈队", parent=None)
    rows = [org_row(community_a, "舞蹈队", 上级组织="乙协会")]
    report = import_rows(county_admin, "organisations", rows)
    assert (report.updated, report.unchanged) == (1, 0)
    team.refresh_from_db()
    assert team.parent.name == "乙协会"
    entry = AuditEntry.objects.get(object_pk=str(team.pk), action=AuditEntry.Action.UPDATE)
    assert entry.changes["changed"]["parent"] == [None, "乙协会"]
    # a blank 上级组织 keeps the stored parent
    import_rows(county_admin, "organisations", [org_row(community_a, "舞蹈队")])
    team.refresh_from_db()
    assert team.parent.name == "乙协会"


def test_parent_errors_are_reported_and_nothing_is_written(county_admin, community_a, two_towns):
    make_org(community_a, "同名组织", Organisation.Kind.SOCIAL)
    make_org(community_a, "同名组织", Organisation.Kind.VOLUNTEER_TEAM)
    make_org(two_towns["b"], "三里镇协会")  # another town: not in the row's region chain
    rows = [
        org_row(community_a, "甲", 上级组织="不存在的组织"),
        org_row(community_a, "乙", 上级组织="同名组织"),
        org_row(community_a, "丙", 上级组织="丙"),
        org_row(community_a, "丁", 上级组织="戊"),
        org_row(community_a, "戊", 上级组织="丁"),
        org_row(
            community_a, "陵阳社区党委", "党组织", 党组织层级="社区党组织", 上级组织="三里镇协会"
        ),
        org_row(community_a, "网格党支部", "党组织", 党组织层级="网格党支部", 上级组织="乙"),
    ]
    errors = import_errors(county_admin, "organisations", rows)
    assert errors[2] == [
        "上级组织“不存在的组织”未找到（须为本行区划或上级区划中已登记的组织的全称或"
        "统一社会信用代码，且在您的管理范围内）"
    ]
    assert errors[3] == ["上级组织“同名组织”对应多个组织，请改填其统一社会信用代码"]
    assert errors[4] == ["上级组织不能是本组织"]
    assert errors[5] == errors[6] == ["上级组织不能是本组织的下级组织（上下级形成循环）"]
    assert "未找到" in errors[7][0]
    assert errors[8] == ["党组织的上级组织应为党组织（“乙”是社区社会组织）"]
    assert Organisation.objects.count() == 3


def test_a_parent_outside_the_importers_scope_is_not_found(town_staff_a, community_a, two_towns):
    code = credit_code("51340223MJ0000002")
    make_org(two_towns["b"], "三里镇协会", credit_code=code)
    errors = import_errors(
        town_staff_a, "organisations", [org_row(community_a, "甲", 上级组织=code)]
    )
    assert "未找到" in errors[2][0]


def test_exports_name_the_parent_and_import_back_unchanged(county_admin, community_a):
    code = credit_code("51340223MJ0000003")
    federation = make_org(community_a, "联合会", credit_code=code)
    make_org(community_a, "舞蹈队", parent=federation)
    make_org(community_a, "合唱队", parent=make_org(community_a, "老年协会"))
    data = services.export_write(principal=county_admin, kind="organisations", fmt="csv")
    text = data.decode("utf-8-sig")
    assert code in text and "老年协会" in text
    report = services.import_run(
        actor=county_admin, kind="organisations", source=data, filename="orgs.csv"
    )
    assert report.unchanged == 4 and report.updated == 0


# --- 运营主体 -------------------------------------------------------------------------------


@pytest.fixture
def facility_type(db):
    return FacilityType.objects.get_or_create(code="test_station", defaults={"name": "测试服务站"})[
        0
    ]


def test_facility_operators_by_name_above_or_credit_code(
    county_admin, community_a, two_towns, facility_type
):
    county_company = make_org(two_towns["county"], "县养老服务公司", Organisation.Kind.MARKET)
    code = credit_code("91340223MA0000004")
    social_work = make_org(
        community_a, "陵阳社工站", Organisation.Kind.SOCIAL_WORK, credit_code=code
    )
    rows = [
        {
            "所在区划代码": community_a.code,
            "设施类型": "测试服务站",
            "名称": "陵阳养老服务站",
            "运营主体": "县养老服务公司",
        },
        {
            "所在区划代码": community_a.code,
            "设施类型": "测试服务站",
            "名称": "陵阳社工室",
            "运营方": "陵阳社工站（委托）",
            "运营主体": code,
        },
    ]
    report = import_rows(county_admin, "facilities", rows)
    assert report.created == 2
    station = Facility.objects.get(name="陵阳养老服务站")
    assert (station.operator, station.operator_name) == (county_company, "县养老服务公司")
    room = Facility.objects.get(name="陵阳社工室")
    assert (room.operator, room.operator_name) == (social_work, "陵阳社工站（委托）")
    assert import_rows(county_admin, "facilities", rows).unchanged == 2
    exported = services.export_write(principal=county_admin, kind="facilities", fmt="csv")
    assert code in exported.decode("utf-8-sig")


def test_an_unknown_operator_is_an_error(county_admin, community_a, facility_type):
    rows = [
        {
            "所在区划代码": community_a.code,
            "设施类型": "测试服务站",
            "名称": "甲站",
            "运营主体": "没有这家公司",
        }
    ]
    errors = import_errors(county_admin, "facilities", rows)
    assert errors[2][0].startswith("运营主体“没有这家公司”未找到")
    assert Facility.objects.count() == 0


# --- 组织成员 -------------------------------------------------------------------------------


@pytest.fixture
def club(community_a):
    return make_org(community_a, "陵阳社区志愿服务队", Organisation.Kind.VOLUNTEER_TEAM)


@pytest.fixture
def members(grid_a):
    household = make_household(grid_a)
    return [
        make_resident(household, name="李四", id_number=new_id()),
        make_resident(household, name="王五", id_number=new_id(date(1970, 3, 1))),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_memberships_import_and_reimport_is_a_no_op(fmt, county_admin, community_a, club, members):
    li, wang = members
    rows = [
        {
            "所在区划代码": community_a.code,
            "组织": "陵阳社区志愿服务队",
            "身份证号": li.id_number,
            "姓名": "李四",
            "职务": "负责人",
            "加入日期": "2023-01-01",
        },
        {
            "所在区划代码": community_a.code,
            "组织": "陵阳社区志愿服务队",
            "身份证号": wang.id_number,
        },
    ]
    report = import_rows(county_admin, "memberships", rows, fmt)
    assert report.created == 2
    lead = Membership.objects.get(resident=li)
    assert (lead.organisation, lead.name, lead.role, str(lead.joined_on)) == (
        club,
        "李四",
        "leader",
        "2023-01-01",
    )
    assert (lead.region_code, Membership.objects.get(resident=wang).role) == (
        community_a.code,
        "member",
    )
    again = import_rows(county_admin, "memberships", rows, "xlsx" if fmt == "csv" else "csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # a changed role updates the same membership
    rows[1]["职务"] = "联络员"
    changed = import_rows(county_admin, "memberships", rows)
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert Membership.objects.get(resident=wang).role == "contact"
    assert Membership.objects.count() == 2


def test_membership_errors(county_admin, grid_a, community_a, community_b, club, members):
    li, wang = members
    third = make_resident(make_household(grid_a), name="张三", id_number=new_id())
    stranger = make_resident(make_household(community_b), name="外镇人", id_number=new_id())
    base = {"所在区划代码": community_a.code, "组织": "陵阳社区志愿服务队"}
    unregistered = new_id(date(1990, 1, 1))
    bad_check = li.id_number[:17] + ("0" if li.id_number[17] != "0" else "1")
    rows = [
        {**base, "组织": "不存在的队", "身份证号": li.id_number},
        {**base, "身份证号": unregistered},
        {**base, "身份证号": bad_check},
        {**base, "身份证号": li.id_number[:6] + "********" + li.id_number[-4:]},
        {**base, "身份证号": li.id_number, "姓名": "李斯"},
        {**base, "身份证号": wang.id_number, "职务": "队长"},
        {**base, "身份证号": third.id_number, "加入日期": str(date.today() + timedelta(days=3))},
        {**base, "身份证号": stranger.id_number, "组织类型": "志愿服务队"},
        {**base, "组织类型": "社区社会组织", "身份证号": li.id_number},
    ]
    errors = import_errors(county_admin, "memberships", rows)
    assert errors[2][0].startswith("组织“不存在的队”未找到")
    assert errors[3] == ["身份证号对应的居民未登记，或不在您的管理范围内（请先导入居民）"]
    assert errors[4] == ["身份证号校验位不正确"]
    assert "脱敏" in errors[5][0]
    assert errors[6] == ["姓名与该身份证号登记的居民姓名不一致"]
    assert errors[7][0].startswith("职务“队长”无效")
    assert errors[8] == ["加入日期超出合理范围"]
    assert 9 not in errors  # a resident of another town, for a county admin: fine
    assert errors[10][0].startswith("组织“陵阳社区志愿服务队”未找到")
    # and no row is ever written, nor an ID number repeated in a message
    assert Membership.objects.count() == 0
    assert not any(li.id_number in m or unregistered in m for ms in errors.values() for m in ms)


def test_a_member_outside_the_importers_scope_is_refused(
    town_staff_a, community_a, community_b, club
):
    stranger = make_resident(make_household(community_b), name="外镇人", id_number=new_id())
    rows = [
        {
            "所在区划代码": community_a.code,
            "组织": "陵阳社区志愿服务队",
            "身份证号": stranger.id_number,
        }
    ]
    errors = import_errors(town_staff_a, "memberships", rows)
    assert errors[2] == ["身份证号对应的居民未登记，或不在您的管理范围内（请先导入居民）"]


def test_the_same_member_twice_in_a_file_is_a_duplicate(county_admin, community_a, club, members):
    code = credit_code("52340223MJ0000005")
    club.credit_code = code
    club.save()
    li = members[0]
    rows = [
        {"所在区划代码": community_a.code, "组织": "陵阳社区志愿服务队", "身份证号": li.id_number},
        {"所在区划代码": community_a.code, "组织": code, "身份证号": li.id_number},
    ]
    errors = import_errors(county_admin, "memberships", rows)
    assert errors == {3: ["同一组织的同一成员与第2行重复"]}


def test_membership_exports_mask_the_id_number(county_admin, community_a, club, members):
    Membership.objects.create(
        organisation=club, region=community_a, resident=members[0], name="李四", role="leader"
    )
    text = services.export_write(principal=county_admin, kind="memberships", fmt="csv").decode(
        "utf-8-sig"
    )
    assert members[0].id_number not in text
    assert members[0].id_number[:6] + "********" in text and "负责人" in text


# --- 职业资格证书 and 培训记录 ------------------------------------------------------------


@pytest.fixture
def workers(community_a):
    worker = apps.get_model("workforce", "Worker")
    return {
        "wang": worker.objects.create(
            region=community_a,
            name="王五",
            phone="13912345678",
            phone_hash=blind_index("13912345678"),
            birth_date=date(1985, 6, 1),
        ),
        "zhao": worker.objects.create(region=community_a, name="赵六", birth_date=date(1990, 2, 3)),
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_certificates_by_phone_or_birth_date(fmt, county_admin, community_a, workers):
    rows = [
        {
            "所在区划代码": community_a.code,
            "姓名": "王五",
            "手机号": "13912345678",
            "证书": "社工师",
            "取得日期": "2021-06-20",
            "证书编号": "S2021-001",
        },
        {
            "所在区划代码": community_a.code,
            "姓名": "赵六",
            "出生日期": "1990-02-03",
            "证书": "助理社会工作师",
            "取得日期": "2019/9/1",
            "有效期至": "2029-08-31",
        },
    ]
    report = import_rows(county_admin, "certificates", rows, fmt)
    assert report.created == 2
    wang = workers["wang"].certificates.get()
    assert (wang.kind, str(wang.issued_on), wang.number, wang.region_code) == (
        "social_worker",
        "2021-06-20",
        "S2021-001",
        community_a.code,
    )
    assert str(workers["zhao"].certificates.get().expires_on) == "2029-08-31"
    assert import_rows(county_admin, "certificates", rows).unchanged == 2
    # the export (phone masked) imports back unchanged: the birth date finds the worker
    exported = services.export_write(principal=county_admin, kind="certificates", fmt="csv")
    assert "139****5678" in exported.decode("utf-8-sig")
    again = services.import_run(
        actor=county_admin, kind="certificates", source=exported, filename="c.csv"
    )
    assert (again.created, again.unchanged) == (0, 2)


def test_certificate_errors(county_admin, community_a, workers):
    base = {"所在区划代码": community_a.code, "姓名": "王五", "手机号": "13912345678"}
    rows = [
        {**base, "姓名": "不在册", "证书": "社工师", "取得日期": "2021-01-01"},
        {**base, "证书": "心理咨询师", "取得日期": "2021-01-01"},
        {**base, "证书": "社工师", "取得日期": "2021-02-30"},
        {**base, "证书": "社工师", "取得日期": "2021-01-01", "有效期至": "2020-01-01"},
        {**base, "证书": "高级社工师", "取得日期": str(date.today() + timedelta(days=1))},
        {
            "所在区划代码": community_a.code,
            "姓名": "王五",
            "证书": "社工师",
            "取得日期": "2021-01-01",
        },
        {**base, "证书": "社会工作师", "取得日期": "2022-01-01"},
        {
            "所在区划代码": community_a.code,
            "姓名": "王五",
            "出生日期": "1985-06-01",
            "证书": "社工师",
            "取得日期": "2022-01-01",
        },
    ]
    errors = import_errors(county_admin, "certificates", rows)
    assert errors[2] == [
        "未找到这名社区工作者（请先导入社区工作者，并核对所在区划、姓名、手机号或出生日期）"
    ]
    assert errors[3][0].startswith("证书“心理咨询师”无效，可填：")
    assert errors[4] == ["取得日期不是有效日期（格式如 2024-01-31）"]
    assert errors[5] == ["有效期不能早于取得日期"]
    assert errors[6] == ["取得日期超出合理范围"]
    assert errors[7] == ["手机号和出生日期至少填写一项（用于找到这名工作者）"]
    assert 8 not in errors
    # the same certificate named by birth date instead of phone: a duplicate
    assert errors[9] == ["同一工作者的同一证书（取得日期相同）与第8行重复"]
    assert apps.get_model("workforce", "Certificate").objects.count() == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_trainings_import_update_and_reimport(fmt, county_admin, community_a, workers):
    rows = [
        {
            "所在区划代码": community_a.code,
            "姓名": "王五",
            "手机号": "13912345678",
            "培训课程": "社区工作者能力提升培训",
            "天数": "3",
            "培训日期": "2024-03-18",
            "主办单位": "南陵县民政局",
            "集中轮训": "是",
        },
        {
            "所在区划代码": community_a.code,
            "姓名": "赵六",
            "出生日期": "1990-02-03",
            "培训课程": "网格员业务培训",
            "天数": "0.5",
            "培训日期": "2024-04-01",
        },
    ]
    report = import_rows(county_admin, "trainings", rows, fmt)
    assert report.created == 2
    training = workers["wang"].trainings.get()
    assert (training.days, training.organiser, training.is_rotation) == (
        Decimal("3.0"),
        "南陵县民政局",
        True,
    )
    assert import_rows(county_admin, "trainings", rows).unchanged == 2
    rows[1]["天数"] = "1"
    changed = import_rows(county_admin, "trainings", rows)
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert workers["zhao"].trainings.get().days == Decimal("1.0")


def test_training_errors(county_admin, community_a, workers):
    base = {
        "所在区划代码": community_a.code,
        "姓名": "王五",
        "手机号": "13912345678",
        "培训课程": "培训",
        "培训日期": "2024-03-18",
    }
    rows = [
        {**base, "天数": "0", "培训课程": "甲"},
        {**base, "天数": "0.3", "培训课程": "乙"},
        {**base, "天数": "三天", "培训课程": "丙"},
        {**base, "天数": "2", "培训课程": ""},
        {**base, "天数": "2", "培训日期": "2024-13-01"},
        {**base, "天数": "2", "手机号": "13900000000"},
        {**base, "天数": "2", "集中轮训": "大概", "培训课程": "丁"},
    ]
    errors = import_errors(county_admin, "trainings", rows)
    assert errors[2] == ["天数应大于 0 且不超过 365"]
    assert errors[3] == ["天数以半天为单位，如 0.5、1、3"]
    assert errors[4] == ["天数应为数字"]
    assert errors[5] == ["请填写培训课程"]
    assert errors[6] == ["培训日期不是有效日期（格式如 2024-01-31）"]
    assert errors[7][0].startswith("未找到这名社区工作者")
    assert errors[8] == ["集中轮训应填“是”或“否”"]
    assert apps.get_model("workforce", "Training").objects.count() == 0


def test_a_worker_of_another_town_is_out_of_the_importers_scope(town_staff_a, community_b, workers):
    worker = apps.get_model("workforce", "Worker")
    worker.objects.create(region=community_b, name="孙七", birth_date=date(1980, 1, 1))
    rows = [
        {
            "所在区划代码": community_b.code,
            "姓名": "孙七",
            "出生日期": "1980-01-01",
            "培训课程": "培训",
            "天数": "1",
            "培训日期": "2024-03-18",
        }
    ]
    errors = import_errors(town_staff_a, "trainings", rows)
    assert "不在您的管理范围内" in errors[2][0]


# --- templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["memberships", "certificates", "trainings"])
def test_the_new_templates_carry_their_rules(kind):
    spec = services.spec_for(kind)
    book = load_workbook(io.BytesIO(services.import_template(kind, "xlsx")))
    assert [c.value for c in book.worksheets[0][1]] == [c.header for c in spec.columns]
    rules = {row[0]: row for row in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert all(rules[c.header][2] for c in spec.columns)


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the writer process opens the database itself: not the in-memory test database",
)
@pytest.mark.django_db(transaction=True)
def test_a_writer_process_sets_the_parents_after_every_row(
    county_admin, community_a, grid_a, monkeypatch
):
    # given every import counts as large, in batches of one row, a parent after its child
    monkeypatch.setattr(services, "WRITER_MIN_ROWS", 1)
    monkeypatch.setattr(services, "CHUNK_ROWS", 1)
    rows = [
        org_row(grid_a, "第一网格志愿队", "志愿服务队", 上级组织="陵阳社区志愿服务总队"),
        org_row(community_a, "陵阳社区志愿服务总队", "志愿服务队"),
    ]
    # when imported twice through the writer process
    first = import_rows(county_admin, "organisations", rows)
    again = import_rows(county_admin, "organisations", rows)
    # then the parent is set once, and the second import changes nothing
    assert (first.created, again.unchanged) == (2, 2)
    child = Organisation.objects.get(name="第一网格志愿队")
    assert child.parent.name == "陵阳社区志愿服务总队"
