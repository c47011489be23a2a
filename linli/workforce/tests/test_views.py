"""Workforce pages: list, detail with posts/certificates/trainings, forms, staffing."""

import pytest
from django.urls import reverse

from linli.workforce.models import Worker
from linli.workforce.tests.factories import PositionFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def test_list_shows_held_posts_and_masked_phones(client, town_staff_a, community_a, community_b):
    worker = WorkerFactory(region=community_a, name="钱芳", phone="13812345678")
    PositionFactory(worker=worker, kind="grid_worker")
    WorkerFactory(region=community_b, name="外镇人")
    client.force_login(town_staff_a)
    page = client.get(reverse("workforce:list")).content.decode()
    assert "钱芳" in page and "网格员" in page and "138****5678" in page
    assert "13812345678" not in page
    assert "外镇人" not in page


def test_list_query_count_is_bounded(
    client, county_admin, community_a, django_assert_max_num_queries
):
    for _ in range(15):
        PositionFactory(worker__region=community_a)
    client.force_login(county_admin)
    with django_assert_max_num_queries(13):
        assert client.get(reverse("workforce:list")).status_code == 200


def test_create_then_add_post_certificate_training_and_end_post(client, town_staff_a, community_a):
    client.force_login(town_staff_a)
    response = client.post(
        reverse("workforce:create"),
        {"region_code": community_a.code, "name": "孙杰", "is_active": "on"},
    )
    worker = Worker.objects.get(name="孙杰")
    assert response.status_code == 302
    client.post(reverse("workforce:position_add", args=[worker.pk]), {"kind": "secretary"})
    client.post(reverse("workforce:position_add", args=[worker.pk]), {"kind": "director"})
    client.post(
        reverse("workforce:certificate_add", args=[worker.pk]),
        {"kind": "assistant", "number": "Z1", "issued_on": "2023-01-01"},
    )
    client.post(
        reverse("workforce:training_add", args=[worker.pk]),
        {"course": "轮训", "days": "0", "started_on": "2024-01-01"},
    )
    page = client.get(reverse("workforce:detail", args=[worker.pk]))
    html = page.content.decode()
    assert "党组织书记" in html and "居/村委会主任" in html and "Z1" in html
    assert worker.trainings.count() == 0  # 0 days was refused
    staffing = client.get(reverse("workforce:staffing")).content.decode()
    assert "陵阳社区" in staffing
    post = worker.positions.get(kind="director")
    client.post(reverse("workforce:position_end", args=[worker.pk, post.pk]))
    post.refresh_from_db()
    assert post.ended_on is not None


def test_refused_training_shows_a_chinese_message(client, town_staff_a, community_a):
    worker = WorkerFactory(region=community_a)
    client.force_login(town_staff_a)
    response = client.post(
        reverse("workforce:training_add", args=[worker.pk]),
        {"course": "轮训", "days": "-1", "started_on": "2024-01-01"},
        follow=True,
    )
    assert "培训天数应大于 0" in response.content.decode()


def test_edit_keeps_the_phone_when_left_blank(client, town_staff_a, community_a):
    worker = WorkerFactory(region=community_a, phone="13812345678")
    client.force_login(town_staff_a)
    client.post(reverse("workforce:edit", args=[worker.pk]), {"name": "新名字", "is_active": "on"})
    worker.refresh_from_db()
    assert (worker.name, worker.phone) == ("新名字", "13812345678")


def test_another_towns_worker_is_not_found(client, town_staff_a, community_b):
    worker = WorkerFactory(region=community_b)
    client.force_login(town_staff_a)
    assert client.get(reverse("workforce:detail", args=[worker.pk])).status_code == 404
    assert (
        client.post(
            reverse("workforce:position_add", args=[worker.pk]), {"kind": "mediator"}
        ).status_code
        == 404
    )
    assert worker.positions.count() == 0
