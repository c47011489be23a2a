"""Workforce services: workers, posts (一肩挑), certificates, trainings."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from linli.accounts.models import Role
from linli.accounts.tests.factories import user_with_role
from linli.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linli.core.pii import blind_index
from linli.workforce import services
from linli.workforce.models import Position, Training, Worker
from linli.workforce.tests.factories import PositionFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def test_worker_create_encrypts_and_indexes_the_phone(community_a, town_staff_a):
    account = user_with_role(Role.COMMUNITY_WORKER, community_a, username="wang")
    worker = services.worker_create(
        actor=town_staff_a,
        region=community_a,
        name="王丽",
        gender="F",
        phone="+86 139-0000-1111",
        education="bachelor",
        user=account,
    )
    worker.refresh_from_db()
    assert worker.phone == "13900001111"
    assert worker.phone_hash == blind_index("13900001111")
    assert worker.phone_masked == "139****1111"
    assert worker.user == account
    # the same account cannot be linked to a second worker
    with pytest.raises(ValidationFailed, match="已关联其他工作者"):
        services.worker_create(actor=town_staff_a, region=community_a, name="另一人", user=account)


def test_worker_create_validates_and_scopes(community_a, community_b, town_staff_a, leader):
    with pytest.raises(ValidationFailed) as exc:
        services.worker_create(
            actor=town_staff_a,
            region=community_a,
            name="",
            phone="123",
            birth_date=timezone.localdate() + timedelta(days=1),
        )
    assert set(exc.value.detail["errors"]) == {
        "姓名不能为空",
        "手机号应为 11 位手机号码",
        "出生日期无效",
    }
    with pytest.raises(Forbidden):
        services.worker_create(actor=town_staff_a, region=community_b, name="x")
    with pytest.raises(Forbidden):
        services.worker_create(actor=leader, region=community_a, name="x")
    assert Worker.objects.count() == 0


def test_a_resident_outside_scope_cannot_be_linked(community_a, community_b, town_staff_a):
    from linli.people.models import Resident

    outsider = Resident.objects.create(
        region=community_b, name="李四", gender="M", birth_date=date(1980, 1, 1)
    )
    with pytest.raises(ValidationFailed, match="居民档案不存在"):
        services.worker_create(
            actor=town_staff_a, region=community_a, name="李四", resident=outsider
        )


def test_one_worker_may_hold_secretary_and_director(community_a, town_staff_a):
    # given a worker
    worker = WorkerFactory(region=community_a)
    # when she becomes 书记 and 主任 (一肩挑)
    services.position_assign(actor=town_staff_a, worker=worker, kind="secretary")
    services.position_assign(actor=town_staff_a, worker=worker, kind="director")
    # then both are held, at her region
    assert sorted(worker.positions.values_list("kind", flat=True)) == ["director", "secretary"]
    assert set(worker.positions.values_list("region_code", flat=True)) == {community_a.code}
    # and the same post twice is a conflict
    with pytest.raises(Conflict, match="已在"):
        services.position_assign(actor=town_staff_a, worker=worker, kind="director")


def test_a_community_has_one_secretary_at_a_time(community_a, town_staff_a):
    old = WorkerFactory(region=community_a, name="老书记")
    new = WorkerFactory(region=community_a, name="新书记")
    post = services.position_assign(actor=town_staff_a, worker=old, kind="secretary")
    with pytest.raises(Conflict, match="目前由老书记担任"):
        services.position_assign(actor=town_staff_a, worker=new, kind="secretary")
    # when the old secretary leaves, the new one can take over
    services.position_end(actor=town_staff_a, position=post)
    services.position_assign(actor=town_staff_a, worker=new, kind="secretary")
    assert Position.objects.filter(kind="secretary", ended_on__isnull=True).get().worker == new
    # but several grid workers are fine
    services.position_assign(actor=town_staff_a, worker=old, kind="grid_worker")
    services.position_assign(actor=town_staff_a, worker=new, kind="grid_worker")


def test_position_end_rules(community_a, community_b, town_staff_a):
    post = PositionFactory(worker__region=community_a, started_on=date(2022, 5, 1))
    with pytest.raises(ValidationFailed, match="不能早于任职日期"):
        services.position_end(actor=town_staff_a, position=post, ended_on=date(2022, 4, 30))
    services.position_end(actor=town_staff_a, position=post, ended_on=date(2023, 1, 1))
    with pytest.raises(Conflict, match="已离任"):
        services.position_end(actor=town_staff_a, position=post)
    other = PositionFactory(worker__region=community_b)
    with pytest.raises(NotFound):
        services.position_end(actor=town_staff_a, position=other)


def test_a_post_in_another_town_is_refused(community_a, community_b, town_staff_a):
    worker = WorkerFactory(region=community_a)
    with pytest.raises(Forbidden):
        services.position_assign(
            actor=town_staff_a, worker=worker, kind="legal_advisor", region=community_b
        )
    assert worker.positions.count() == 0


def test_certificate_add(community_a, town_staff_a):
    worker = WorkerFactory(region=community_a)
    certificate = services.certificate_add(
        actor=town_staff_a,
        worker=worker,
        kind="social_worker",
        number="A123",
        issued_on=date(2023, 6, 1),
    )
    assert certificate.region_code == community_a.code
    with pytest.raises(Conflict):
        services.certificate_add(
            actor=town_staff_a,
            worker=worker,
            kind="social_worker",
            number="A123",
            issued_on=date(2023, 6, 1),
        )
    with pytest.raises(ValidationFailed, match="有效期不能早于取得日期"):
        services.certificate_add(
            actor=town_staff_a,
            worker=worker,
            kind="assistant",
            issued_on=date(2023, 6, 1),
            expires_on=date(2023, 1, 1),
        )


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (0, "应大于 0"),
        (-1, "应大于 0"),
        ("abc", "应为数字"),
        (1.3, "半天为单位"),
        (400, "不能超过 365"),
    ],
)
def test_training_days_must_be_positive_half_days(community_a, town_staff_a, days, message):
    worker = WorkerFactory(region=community_a)
    with pytest.raises(ValidationFailed, match=message):
        services.training_add(
            actor=town_staff_a, worker=worker, course="轮训", days=days, started_on=date(2024, 3, 1)
        )
    assert Training.objects.count() == 0


def test_training_add(community_a, town_staff_a):
    worker = WorkerFactory(region=community_a)
    training = services.training_add(
        actor=town_staff_a,
        worker=worker,
        course="城乡社区书记主任履职培训",
        days="3.5",
        started_on=date(2024, 3, 1),
        is_rotation=True,
    )
    training.refresh_from_db()
    assert (str(training.days), training.is_rotation, training.region_code) == (
        "3.5",
        True,
        community_a.code,
    )
