from datetime import timedelta

import pytest
from django.utils import timezone

from linli.accounts import services
from linli.accounts.models import PhoneCode, Role, RoleAssignment, User
from linli.accounts.sms import ConsoleSmsBackend
from linli.accounts.tests.factories import user_with_role
from linli.core.errors import ApplicationError, Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def _last_code() -> str:
    return ConsoleSmsBackend.outbox[-1][1].split("验证码是 ")[1][:6]


@pytest.fixture
def resident(community_a):
    return user_with_role(Role.RESIDENT, community_a, phone="13900000001")


def test_county_admin_creates_a_town_staff_account(county_admin, town_a):
    user = services.user_create(
        actor=county_admin,
        username="wang",
        display_name="王五",
        password="a-Strong-pass-1",
        phone="13911112222",
        role=Role.TOWN_STAFF,
        region=town_a,
    )
    assert user.check_password("a-Strong-pass-1")
    assert user.is_staff
    assert user.linli_scope.prefixes == ("340223100",)
    # the phone is stored encrypted and found by its blind index
    raw = User.objects.filter(pk=user.pk).values_list("phone", flat=True).query
    assert User.objects.get(pk=user.pk).phone == "13911112222"
    assert "13911112222" not in str(raw)


def test_a_role_must_fit_the_level_of_its_region(county_admin, community_a):
    with pytest.raises(ValidationFailed) as error:
        services.user_create(
            actor=county_admin,
            username="x",
            display_name="x",
            role=Role.TOWN_STAFF,
            region=community_a,
        )
    assert error.value.message == "“镇街工作人员”只能在以下层级任职：镇/街道"
    assert not User.objects.filter(username="x").exists()


def test_only_county_admins_manage_accounts(town_staff_a, town_a):
    with pytest.raises(Forbidden):
        services.user_create(
            actor=town_staff_a, username="y", display_name="y", role=Role.TOWN_STAFF, region=town_a
        )


def test_a_leader_is_read_only_and_a_town_staff_sees_only_the_town(leader, town_staff_a):
    assert leader.linli_scope.prefixes == ("340223",)
    assert not leader.linli_scope.can_write
    assert town_staff_a.linli_scope.covers("340223100001001")
    assert not town_staff_a.linli_scope.covers("340223106201")


def test_revoking_a_role_removes_the_scope(county_admin, town_staff_a):
    assignment = RoleAssignment.objects.get(user=town_staff_a)
    services.role_revoke(actor=county_admin, assignment_id=assignment.pk)
    assert User.objects.get(pk=town_staff_a.pk).linli_scope.prefixes == ()


def test_resident_logs_in_with_a_code_sent_by_sms(resident):
    services.phone_code_send(phone="139 0000 0001")
    code = _last_code()
    assert ConsoleSmsBackend.outbox[-1][0] == "13900000001"
    # only a hash of the code is stored
    assert not PhoneCode.objects.filter(code_hash=code).exists()
    assert services.phone_code_verify(phone="13900000001", code=code) == resident
    # and a code works once
    assert services.phone_code_verify(phone="13900000001", code=code) is None


def test_a_wrong_code_counts_attempts_and_then_locks(resident, settings):
    services.phone_code_send(phone="13900000001")
    code = _last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.PHONE_CODE_MAX_ATTEMPTS):
        assert services.phone_code_verify(phone="13900000001", code=wrong) is None
    # after too many attempts even the right code is refused
    assert services.phone_code_verify(phone="13900000001", code=code) is None


def test_an_expired_code_is_refused(resident):
    services.phone_code_send(phone="13900000001")
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.phone_code_verify(phone="13900000001", code=_last_code()) is None


def test_codes_are_rate_limited(resident):
    services.phone_code_send(phone="13900000001")
    with pytest.raises(ApplicationError) as error:
        services.phone_code_send(phone="13900000001")
    assert error.value.status == 429
    assert "频繁" in error.value.message


def test_unknown_and_malformed_phones_get_clear_errors(resident):
    with pytest.raises(ValidationFailed, match="尚未开通居民账号"):
        services.phone_code_send(phone="13700000000")
    with pytest.raises(ValidationFailed, match="手机号格式不正确"):
        services.phone_code_send(phone="12345")
    assert PhoneCode.objects.count() == 0


def test_api_tokens_are_scoped_to_their_region(county_admin, town_a):
    token, raw = services.api_token_create(
        actor=county_admin, name="12345 热线", region=town_a, can_write=False
    )
    assert raw.startswith("lnl_")
    assert token.linli_scope.prefixes == ("340223100",)
    assert not token.linli_scope.can_write


def test_staff_cannot_log_in_with_a_phone_code(town_a):
    # given a town staff member whose account has a phone number
    user_with_role(Role.TOWN_STAFF, town_a, phone="13900000009", username="staff_phone")
    # then no code is sent: staff log in with their password (and its lock-out)
    with pytest.raises(ValidationFailed, match="尚未开通居民账号"):
        services.phone_code_send(phone="13900000009")
    assert PhoneCode.objects.count() == 0


def test_a_read_only_county_role_does_not_write_outside_the_writing_role(two_towns):
    # given a county leader who is also town staff in town A
    user = user_with_role(Role.LEADER, two_towns["county"], username="lead_a")
    RoleAssignment.objects.create(
        user=user, role=Role.TOWN_STAFF, region=two_towns["a"], region_code=two_towns["a"].code
    )
    scope = User.objects.get(pk=user.pk).linli_scope
    # then they read the county but write only in town A
    assert scope.covers("340223106201")
    assert scope.may_write("340223100001")
    assert not scope.may_write("340223106201")


def test_role_changes_keep_the_admin_flag_in_step(county_admin, community_a, town_a):
    user = services.user_create(
        actor=county_admin,
        username="cw",
        display_name="社工",
        role=Role.COMMUNITY_WORKER,
        region=community_a,
    )
    assert not user.is_staff
    assignment = services.role_assign(
        actor=county_admin, user=user, role=Role.TOWN_STAFF, region=town_a
    )
    assert User.objects.get(pk=user.pk).is_staff
    services.role_revoke(actor=county_admin, assignment_id=assignment.pk)
    assert not User.objects.get(pk=user.pk).is_staff


def test_an_account_without_roles_is_managed_by_superusers_only(county_admin):
    orphan = User.objects.create_user("orphan", password="x")
    with pytest.raises(Forbidden):
        services.user_set_active(actor=county_admin, user=orphan, is_active=False)
