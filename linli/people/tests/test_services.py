from datetime import date, timedelta

import pytest
from django.utils import timezone

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.models import AuditEntry
from linli.core.pii import blind_index
from linli.people import services
from linli.people.models import Household, Resident, ResidentMove, ResidentTag
from linli.people.tests.factories import id_number_for, make_household, make_resident
from linli.regions.models import Building

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(community_a):
    return user_with_role(Role.COMMUNITY_WORKER, community_a, username="worker_a")


@pytest.fixture
def grid_worker(grid_a):
    return user_with_role(Role.GRID_WORKER, grid_a, username="grid_a")


@pytest.fixture
def household(grid_a):
    return make_household(grid_a, number="H1", address="陵阳路1号")


def _create(actor, household, **overrides):
    data = {
        "name": "张三",
        "gender": "M",
        "birth_date": date(1960, 5, 1),
        "household": household,
        "id_number": id_number_for(date(1960, 5, 1), "M"),
        "phone": "13800001111",
    }
    data.update(overrides)
    return services.resident_create(actor=actor, **data)


# --- households -------------------------------------------------------------------------------


def test_a_community_worker_registers_a_household_in_a_grid(worker, grid_a):
    # when
    household = services.household_create(
        actor=worker,
        region_code=grid_a.code,
        number="A-001",
        address="陵阳路8号",
        phone="13900002222",
    )
    # then
    assert household.region == grid_a
    assert household.region_code == grid_a.code
    assert household.phone_hash == blind_index("13900002222")
    assert AuditEntry.objects.filter(model_label="people.Household", action="create").exists()


def test_a_household_cannot_sit_in_a_town(county_admin, town_a):
    with pytest.raises(ValidationFailed) as exc:
        services.household_create(
            actor=county_admin, region_code=town_a.code, number="1", address="x"
        )
    assert "网格或社区/村" in exc.value.message
    assert Household.objects.count() == 0


def test_a_household_outside_the_scope_is_not_found_and_a_leader_is_refused(
    worker, leader, community_b, community_a
):
    with pytest.raises(NotFound):
        services.household_create(
            actor=worker, region_code=community_b.code, number="1", address="x"
        )
    with pytest.raises(Forbidden):
        services.household_create(
            actor=leader, region_code=community_a.code, number="1", address="x"
        )
    assert Household.objects.count() == 0


def test_bad_household_values_are_all_reported_in_chinese(worker, grid_a):
    with pytest.raises(ValidationFailed) as exc:
        services.household_create(
            actor=worker, region_code=grid_a.code, number="", address="", phone="12345"
        )
    fields = exc.value.detail["fields"]
    assert fields == {
        "number": "户编号不能为空",
        "address": "地址不能为空",
        "phone": "联系电话应为11位中国大陆手机号码",
    }


def test_a_household_number_is_unique_in_the_community(worker, grid_a, community_a):
    services.household_create(actor=worker, region_code=grid_a.code, number="7", address="甲")
    with pytest.raises(Conflict) as exc:
        services.household_create(
            actor=worker, region_code=community_a.code, number="7", address="乙"
        )
    assert "户编号" in exc.value.message


def test_the_building_must_be_in_the_same_community(worker, county_admin, grid_a, community_b):
    other = Building.objects.create(region=community_b, name="1栋", address="澄桥路1号")
    own = Building.objects.create(region=grid_a.parent, name="2栋", address="陵阳路2号")
    with pytest.raises(ValidationFailed) as exc:
        services.household_create(
            actor=county_admin, region_code=grid_a.code, number="1", address="x", building=other
        )
    assert exc.value.detail["fields"]["building"] == "楼栋须在户所在的同一社区/村内"
    household = services.household_create(
        actor=county_admin, region_code=grid_a.code, number="1", address="x", building=own.pk
    )
    assert household.building == own


def test_the_head_must_be_an_active_member(worker, household, grid_a):
    member = make_resident(household, name="李四")
    stranger = make_resident(make_household(grid_a), name="王五")
    with pytest.raises(ValidationFailed) as exc:
        services.household_set_head(actor=worker, household=household, resident=stranger)
    assert exc.value.message == "户主必须是本户成员"
    services.household_set_head(actor=worker, household=household, resident=member)
    household.refresh_from_db()
    member.refresh_from_db()
    assert household.head == member
    assert member.relation == Resident.Relation.HEAD


def test_changing_the_head_demotes_the_former_head(worker, household):
    first = _create(worker, household, relation="head")
    second = make_resident(household, name="李四", relation="spouse")
    services.household_set_head(actor=worker, household=household, resident=second)
    first.refresh_from_db()
    household.refresh_from_db()
    assert household.head_id == second.pk
    assert first.relation == Resident.Relation.OTHER


def test_moving_a_household_to_another_grid_moves_its_members(worker, household, community_a):
    other_grid = community_a.children.create(
        code=community_a.code + "002", name="第2网格", level="grid"
    )
    member = _create(worker, household, tags=["veteran"])
    services.household_update(
        actor=worker, household=household, data={"region_code": other_grid.code}
    )
    member.refresh_from_db()
    assert member.region_code == other_grid.code
    assert ResidentTag.objects.get(resident=member).region_code == other_grid.code


# --- residents: validation --------------------------------------------------------------------


def test_a_resident_is_registered_with_pinyin_keys_and_hashes(worker, household):
    resident = _create(worker, household)
    resident.refresh_from_db()
    assert (resident.name_pinyin, resident.name_initials) == ("zhangsan", "zs")
    assert resident.region_code == household.region_code
    assert resident.id_number_hash == blind_index(resident.id_number)
    assert resident.phone_masked == "138****1111"


def test_every_bad_field_is_reported_in_chinese_and_nothing_is_written(worker, household):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as exc:
        services.resident_create(
            actor=worker,
            household=household,
            name=" ",
            gender="X",
            birth_date=tomorrow,
            id_number="340223196005011234",
            phone="1380000",
        )
    fields = exc.value.detail["fields"]
    assert fields["name"] == "姓名不能为空"
    assert fields["gender"] == "请选择性别（男或女）"
    assert fields["birth_date"] == "出生日期不能晚于今天"
    assert fields["id_number"] == "身份证号校验位不正确"
    assert fields["phone"].startswith("手机号应为11位中国大陆手机号码")
    assert Resident.objects.count() == 0


def test_the_id_number_must_agree_with_birth_date_and_gender(worker, household):
    number = id_number_for(date(1960, 5, 1), "M")
    with pytest.raises(ValidationFailed) as exc:
        _create(worker, household, id_number=number, birth_date=date(1960, 5, 2))
    assert exc.value.detail["fields"]["id_number"] == "身份证号中的出生日期与填写的出生日期不一致"
    with pytest.raises(ValidationFailed) as exc:
        _create(worker, household, id_number=number, gender="F")
    assert exc.value.detail["fields"]["id_number"] == "身份证号中的性别（第17位）与填写的性别不一致"


def test_a_lower_case_x_check_digit_is_accepted(worker, household):
    for serial in range(200):
        number = id_number_for(date(1971, 3, 9), "F", serial=serial)
        if number.endswith("X"):
            break
    resident = _create(
        worker, household, id_number=number.lower(), birth_date=date(1971, 3, 9), gender="F"
    )
    assert resident.id_number == number


def test_an_id_number_is_registered_once_in_the_whole_county(
    worker, county_admin, household, community_b
):
    number = id_number_for(date(1960, 5, 1), "M")
    make_resident(make_household(community_b), id_number=number)  # in another town
    with pytest.raises(Conflict) as exc:
        _create(worker, household, id_number=number)
    # the message neither echoes the number nor says where it is
    assert number not in exc.value.message
    assert "澄桥" not in exc.value.message
    assert exc.value.code == "resident_id_number_exists"


def test_disability_kind_and_grade_only_with_the_disability_tag(worker, household):
    with pytest.raises(ValidationFailed) as exc:
        _create(worker, household, tags=[{"tag": "disability", "disability_kind": "visual"}])
    assert "残疾等级应为一级至四级" in exc.value.detail["fields"]["tags"]
    with pytest.raises(ValidationFailed) as exc:
        _create(
            worker,
            household,
            tags=[{"tag": "dibao", "disability_kind": "visual", "disability_grade": 2}],
        )
    assert "只有“残疾”标签填写残疾类别和等级" in exc.value.detail["fields"]["tags"]
    resident = _create(
        worker,
        household,
        tags=[{"tag": "disability", "disability_kind": "visual", "disability_grade": "2"}],
    )
    tag = ResidentTag.objects.get(resident=resident)
    assert (tag.disability_kind, tag.disability_grade, tag.region_code) == (
        "visual",
        2,
        household.region_code,
    )


def test_age_group_tags_follow_the_age(worker, household):
    with pytest.raises(ValidationFailed) as exc:
        _create(worker, household, tags=["advanced_age"])  # born 1960
    assert exc.value.detail["fields"]["tags"] == "“高龄”标签适用于80周岁及以上的居民"
    with pytest.raises(ValidationFailed) as exc:
        _create(worker, household, tags=["left_behind_child"])
    assert "未满16周岁" in exc.value.detail["fields"]["tags"]


def test_relation_head_makes_the_head_once(worker, household):
    head = _create(worker, household, relation="head")
    household.refresh_from_db()
    assert household.head == head
    with pytest.raises(ValidationFailed) as exc:
        _create(worker, household, name="李四", relation="head", id_number="", phone="")
    assert "已有户主" in exc.value.message


def test_a_resident_without_household_needs_a_grid_or_community(worker, grid_a):
    resident = services.resident_create(
        actor=worker,
        name="流动人员",
        gender="F",
        birth_date="1990-02-03",
        region_code=grid_a.code,
        residence_type="floating",
    )
    assert resident.household is None
    assert resident.region == grid_a
    with pytest.raises(ValidationFailed):
        services.resident_create(actor=worker, name="x", gender="F", birth_date="1990-02-03")


# --- residents: who may change what -----------------------------------------------------------


def test_a_grid_worker_may_change_phone_and_tags_only(worker, grid_worker, household):
    resident = _create(worker, household)
    services.resident_update(
        actor=grid_worker,
        resident=resident,
        data={"phone": "13700003333", "tags": ["living_alone"]},
    )
    resident.refresh_from_db()
    assert resident.phone == "13700003333"
    assert list(resident.tags.values_list("tag", flat=True)) == ["living_alone"]
    with pytest.raises(Forbidden) as exc:
        services.resident_update(actor=grid_worker, resident=resident, data={"name": "改名"})
    assert exc.value.message == "网格员只能修改居民的手机号和标签"
    with pytest.raises(Forbidden):
        services.household_create(
            actor=grid_worker, region_code=household.region_code, number="9", address="x"
        )


def test_leaders_and_department_handlers_write_nothing(worker, leader, household, two_towns):
    resident = _create(worker, household)
    handler = user_with_role(
        Role.DEPARTMENT_HANDLER, two_towns["a"], username="cg", department="城管"
    )
    for actor in (leader, handler):
        with pytest.raises(Forbidden):
            services.resident_update(actor=actor, resident=resident, data={"phone": ""})
    resident.refresh_from_db()
    assert resident.phone == "13800001111"


def test_another_towns_resident_is_not_found(worker, community_b):
    other = make_resident(make_household(community_b))
    with pytest.raises(NotFound):
        services.resident_update(actor=worker, resident=other, data={"name": "x"})


def test_update_checks_the_id_number_against_the_stored_birth_date(worker, household):
    resident = _create(worker, household, id_number="")
    with pytest.raises(ValidationFailed) as exc:
        services.resident_update(
            actor=worker,
            resident=resident,
            data={"id_number": id_number_for(date(1961, 5, 1), "M")},
        )
    assert "出生日期" in exc.value.detail["fields"]["id_number"]
    good = id_number_for(date(1960, 5, 1), "M")
    services.resident_update(actor=worker, resident=resident, data={"id_number": good})
    resident.refresh_from_db()
    assert resident.id_number == good


# --- moves and departures ---------------------------------------------------------------------


def test_a_move_keeps_history_and_takes_the_new_region(county_admin, household, community_b):
    resident = _create(county_admin, household, relation="head", tags=["veteran"])
    target = make_household(community_b, number="B1")
    move = services.resident_move(
        actor=county_admin,
        resident=resident,
        to_household=target,
        moved_on=timezone.localdate(),
        reason="投靠子女",
    )
    resident.refresh_from_db()
    household.refresh_from_db()
    assert resident.household == target
    assert resident.region_code == community_b.code
    assert household.head is None  # the head seat is left behind
    assert ResidentTag.objects.get(resident=resident).region_code == community_b.code
    assert (move.from_household, move.to_household, move.from_region_code) == (
        household,
        target,
        household.region_code,
    )
    assert ResidentMove.objects.filter(resident=resident).count() == 1


def test_a_town_cannot_move_someone_into_another_town(town_staff_a, household, community_b):
    resident = _create(town_staff_a, household)
    target = make_household(community_b)
    with pytest.raises(NotFound):
        services.resident_move(
            actor=town_staff_a,
            resident=resident,
            to_household=target,
            moved_on=timezone.localdate(),
        )
    assert ResidentMove.objects.count() == 0


def test_a_move_date_cannot_be_in_the_future_or_before_the_last_move(worker, household, grid_a):
    resident = _create(worker, household)
    target = make_household(grid_a)
    with pytest.raises(ValidationFailed) as exc:
        services.resident_move(
            actor=worker,
            resident=resident,
            to_household=target,
            moved_on=timezone.localdate() + timedelta(days=1),
        )
    assert exc.value.detail["fields"]["moved_on"] == "日期不能晚于今天"
    services.resident_move(
        actor=worker, resident=resident, to_household=target, moved_on="2024-05-01"
    )
    with pytest.raises(ValidationFailed) as exc:
        services.resident_move(
            actor=worker, resident=resident, to_household=household, moved_on="2024-01-01"
        )
    assert "上一次变动" in exc.value.detail["fields"]["moved_on"]


def test_moved_out_and_deceased(worker, household, grid_a):
    leaving = _create(worker, household, relation="head")
    services.resident_mark_moved_out(
        actor=worker, resident=leaving, moved_on="2024-03-01", reason="迁往外省"
    )
    leaving.refresh_from_db()
    household.refresh_from_db()
    assert leaving.status == Resident.Status.MOVED_OUT
    assert leaving.household is None
    assert household.head is None
    assert ResidentMove.objects.get(resident=leaving).reason == "迁出：迁往外省"
    with pytest.raises(Conflict):
        services.resident_mark_deceased(actor=worker, resident=leaving, died_on="2024-04-01")
    # moving back brings them back into the registry
    services.resident_move(
        actor=worker, resident=leaving, to_household=household, moved_on="2024-06-01"
    )
    leaving.refresh_from_db()
    assert leaving.status == Resident.Status.ACTIVE

    dead = make_resident(make_household(grid_a), name="赵六")
    services.resident_mark_deceased(actor=worker, resident=dead, died_on="2024-02-01")
    dead.refresh_from_db()
    assert dead.status == Resident.Status.DECEASED
    with pytest.raises(Conflict):
        services.resident_move(
            actor=worker, resident=dead, to_household=household, moved_on="2024-06-01"
        )


def test_the_age_is_derived_not_stored(worker, household):
    resident = _create(worker, household)
    today = timezone.localdate()
    expected = today.year - 1960 - ((today.month, today.day) < (5, 1))
    assert resident.age == expected
    assert "age" not in {f.name for f in Resident._meta.fields}
