from datetime import date

import pytest
from django.urls import reverse

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.people.models import Household, Resident, ResidentMove
from linli.people.tests.factories import id_number_for, make_household, make_resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(community_a):
    return user_with_role(Role.COMMUNITY_WORKER, community_a, username="page_worker")


@pytest.fixture
def grid_worker(grid_a):
    return user_with_role(Role.GRID_WORKER, grid_a, username="page_grid")


@pytest.fixture
def home(grid_a):
    return make_household(grid_a, number="A1", address="陵阳路1号")


def test_the_list_searches_filters_and_drills_down(client, worker, home, grid_a, community_b):
    make_resident(home, name="张三", tags=("living_alone",), birth_date=date(1940, 1, 1))
    make_resident(home, name="李四", birth_date=date(1990, 1, 1))
    make_resident(make_household(community_b), name="王五")
    client.force_login(worker)
    url = reverse("people:resident_list")
    html = client.get(url).content.decode()
    assert "张三" in html and "李四" in html
    assert "王五" not in html  # another town
    assert "陵阳社区第1网格" in html  # a child region to drill into
    html = client.get(url + "?q=zs").content.decode()
    assert "张三" in html and "李四" not in html
    html = client.get(url + "?tag=living_alone").content.decode()
    assert "张三" in html and "李四" not in html
    html = client.get(url + "?age_min=60&age_max=200").content.decode()
    assert "年龄不能大于150" in html
    html = client.get(url + "?age_min=60").content.decode()
    assert "张三" in html and "李四" not in html
    html = client.get(url + f"?region={grid_a.code}").content.decode()
    assert 'aria-current="page">陵阳社区第1网格' in html


def test_the_list_page_uses_a_fixed_number_of_queries(
    client, worker, home, django_assert_max_num_queries
):
    for n in range(40):
        make_resident(home, name=f"居民{n:02d}", tags=("veteran",))
    client.force_login(worker)
    client.get(reverse("people:resident_list"))  # warm the session
    with django_assert_max_num_queries(16):
        response = client.get(reverse("people:resident_list"))
    assert response.context["page"].paginator.count == 40


def test_creating_a_resident_shows_chinese_errors_then_succeeds(client, worker, home):
    client.force_login(worker)
    url = reverse("people:resident_create") + f"?household={home.pk}"
    page = client.get(url).content.decode()
    assert "陵阳路1号" in page  # the household is preselected
    bad = {
        "region": home.region_code,
        "household": home.pk,
        "name": "",
        "gender": "M",
        "birth_date": "1960-13-01",
        "id_number": "123",
        "relation": "other",
        "residence_type": "registered",
        "tags": ["dibao"],
        "disability_kind": "visual",
    }
    html = client.post(url, bad).content.decode()
    assert "只有勾选“残疾”标签时才填写残疾类别和等级" in html
    bad.pop("disability_kind")
    html = client.post(url, bad).content.decode()
    for message in ("姓名不能为空", "出生日期格式应为", "身份证号应为 18 位"):
        assert message in html
    assert Resident.objects.count() == 0
    good = dict(
        bad,
        name="赵敏",
        gender="F",
        birth_date="1960-05-01",
        id_number=id_number_for(date(1960, 5, 1), "F"),
    )
    response = client.post(url, good)
    resident = Resident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:resident_detail", args=[resident.pk])
    assert resident.household == home
    assert list(resident.tags.values_list("tag", flat=True)) == ["dibao"]


def test_a_grid_worker_edits_phone_and_tags_only(client, grid_worker, home):
    resident = make_resident(home, name="张三", phone="13800000001")
    client.force_login(grid_worker)
    url = reverse("people:resident_edit", args=[resident.pk])
    page = client.get(url).content.decode()
    assert 'name="phone"' in page
    assert 'name="name"' not in page and 'name="id_number"' not in page
    response = client.post(url, {"phone": "13900000002", "tags": ["living_alone"]})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.phone == "13900000002"
    assert resident.name == "张三"
    # and the grid worker cannot reach the writer pages
    assert client.get(reverse("people:resident_create")).status_code == 403
    assert client.get(reverse("people:resident_move", args=[resident.pk])).status_code == 403


def test_a_blank_pii_field_on_edit_keeps_the_value(client, worker, home):
    resident = make_resident(home, name="张三", phone="13800000001", id_number=None)
    number = resident.id_number
    client.force_login(worker)
    response = client.post(
        reverse("people:resident_edit", args=[resident.pk]),
        {
            "name": "张三丰",
            "gender": "M",
            "birth_date": "1960-05-01",
            "id_number": "",
            "phone": "",
            "relation": "other",
            "residence_type": "registered",
        },
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.name, resident.id_number, resident.phone) == ("张三丰", number, "13800000001")
    client.post(
        reverse("people:resident_edit", args=[resident.pk]),
        {
            "name": "张三丰",
            "gender": "M",
            "birth_date": "1960-05-01",
            "clear_pii": ["phone"],
            "relation": "other",
            "residence_type": "registered",
        },
    )
    resident.refresh_from_db()
    assert resident.phone == ""


def test_leaders_read_without_write_buttons_and_handlers_are_kept_out(
    client, leader, home, two_towns
):
    resident = make_resident(home, name="张三", phone="13800000001")
    client.force_login(leader)
    page = client.get(reverse("people:resident_detail", args=[resident.pk])).content.decode()
    assert "张三" in page
    assert reverse("people:resident_edit", args=[resident.pk]) not in page
    assert "显示" not in page  # no reveal for leaders
    refusals = [
        client.get(reverse("people:resident_create")),  # Django's 403 page (a role check)
        client.get(reverse("people:resident_edit", args=[resident.pk])),  # a service's refusal
    ]
    for refusal in refusals:  # both look and read the same: 没有权限, back to the workbench
        html = refusal.content.decode()
        assert refusal.status_code == 403
        assert "<title>没有权限 ·" in html and "返回工作台" in html and "出错了" not in html
    handler = user_with_role(
        Role.DEPARTMENT_HANDLER, two_towns["a"], username="h1", department="城管"
    )
    client.force_login(handler)
    assert client.get(reverse("people:resident_list")).status_code == 403


def test_another_towns_resident_page_answers_404(client, town_staff_a, community_b):
    other = make_resident(make_household(community_b))
    client.force_login(town_staff_a)
    assert client.get(reverse("people:resident_detail", args=[other.pk])).status_code == 404
    assert (
        client.get(reverse("people:household_detail", args=[other.household_id])).status_code == 404
    )


def test_move_and_leave_pages(client, worker, home, grid_a):
    resident = make_resident(home, name="张三")
    target = make_household(grid_a, number="A2", address="陵阳路2号")
    client.force_login(worker)
    # the record's history section promises moves only (edits are in the audit log)
    before = client.get(reverse("people:resident_detail", args=[resident.pk])).content.decode()
    assert "迁入迁出记录" in before and "暂无迁入迁出" in before and "变动记录" not in before
    url = reverse("people:resident_move", args=[resident.pk])
    assert "陵阳路2号" in client.get(url).content.decode()
    html = client.post(
        url, {"region": grid_a.code, "relation": "other", "moved_on": "2024-01-01"}
    ).content.decode()
    assert "请选择迁入的户" in html
    response = client.post(
        url,
        {
            "region": grid_a.code,
            "to_household": target.pk,
            "relation": "other",
            "moved_on": "2024-01-01",
        },
    )
    assert response.status_code == 302
    assert ResidentMove.objects.get().to_household == target
    detail = client.get(reverse("people:resident_detail", args=[resident.pk])).content.decode()
    assert "2024-01-01" in detail
    response = client.post(
        reverse("people:resident_leave", args=[resident.pk]),
        {"status": "deceased", "on": "2024-02-01", "reason": "病故"},
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.status == Resident.Status.DECEASED


def test_household_pages(client, worker, grid_a, home):
    head = make_resident(home, name="张三")
    client.force_login(worker)
    html = client.get(reverse("people:household_list") + "?q=陵阳路").content.decode()
    assert "A1" in html
    response = client.post(
        reverse("people:household_create"),
        {"region": grid_a.code, "number": "", "address": "", "residence_type": "registered"},
    )
    assert "户编号不能为空" in response.content.decode()
    response = client.post(
        reverse("people:household_create"),
        {
            "region": grid_a.code,
            "number": "A9",
            "address": "陵阳路9号",
            "residence_type": "resident",
            "phone": "13900009999",
        },
    )
    created = Household.objects.get(number="A9")
    assert response["Location"] == reverse("people:household_detail", args=[created.pk])
    assert created.phone == "13900009999"
    client.post(reverse("people:household_head", args=[home.pk]), {"resident": head.pk})
    home.refresh_from_db()
    assert home.head == head
    response = client.post(
        reverse("people:household_edit", args=[home.pk]),
        {
            "region": grid_a.code,
            "number": "A1",
            "address": "陵阳路1号之一",
            "residence_type": "registered",
        },
    )
    home.refresh_from_db()
    assert home.address == "陵阳路1号之一"


def test_pickers_answer_options_for_htmx(client, worker, grid_a, home):
    from linli.regions.models import Building

    Building.objects.create(region=grid_a, name="3栋", address="陵阳路3号楼")
    client.force_login(worker)
    html = client.get(
        reverse("people:household_options") + f"?region={grid_a.code}"
    ).content.decode()
    assert f'<option value="{home.pk}">A1 陵阳路1号</option>' in html
    html = client.get(
        reverse("people:building_options") + f"?region={grid_a.code}"
    ).content.decode()
    assert "陵阳路3号楼" in html


def test_my_grid_for_grid_workers(client, grid_worker, home, community_b):
    make_resident(home, name="张三", tags=("living_alone",), phone="13800000001")
    make_resident(make_household(community_b), name="王五")
    client.force_login(grid_worker)
    html = client.get(reverse("people:my_grid")).content.decode()
    assert "陵阳路1号" in html and "张三" in html
    assert "王五" not in html
    assert "独居" in html
    assert "138****0001" in html
    nav = client.get("/").content.decode()
    assert reverse("people:my_grid") in nav


def test_navigation_entries_by_role(client, worker, leader, grid_worker):
    client.force_login(worker)
    page = client.get("/").content.decode()
    for url in (
        reverse("people:resident_list"),
        reverse("people:household_list"),
        reverse("regions:building_list"),
    ):
        assert url in page
    assert reverse("people:my_grid") not in page
    client.force_login(leader)
    assert reverse("people:resident_list") in client.get("/").content.decode()
