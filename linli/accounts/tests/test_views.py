import pytest
from django.urls import reverse

from linli.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_staff_login_with_a_wrong_password_shows_a_chinese_error(client, town_staff_a):
    response = client.post(reverse("accounts:login"), {"username": "town_a", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_repeated_failures_lock_the_account(client, town_staff_a, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "town_a", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "town_a", "password": password})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()


def test_admin_creates_an_account_in_the_pages(client, county_admin, two_towns):
    client.force_login(county_admin)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "li",
            "display_name": "李四",
            "phone": "13811112222",
            "password": "Very-good-pass-9",
            "role": Role.COMMUNITY_WORKER,
            "region_code": "340223100001",
        },
    )
    user = User.objects.get(username="li")
    assert response.status_code == 302
    assert user.has_role(Role.COMMUNITY_WORKER)
    listing = client.get(reverse("accounts:user_list") + "?q=李").content.decode()
    assert "138****2222" in listing
    assert "13811112222" not in listing


def test_admin_form_errors_are_in_chinese_and_change_nothing(client, county_admin, two_towns):
    client.force_login(county_admin)
    before = User.objects.count()
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "bad",
            "display_name": "坏",
            "phone": "123",
            "role": Role.TOWN_STAFF,
            "region_code": "340223100000",
        },
    )
    assert "手机号格式不正确" in response.content.decode()
    assert User.objects.count() == before


def test_town_staff_cannot_open_account_management(client, town_staff_a):
    client.force_login(town_staff_a)
    assert client.get(reverse("accounts:user_list")).status_code == 403


def test_another_towns_user_answers_404(client, county_admin, two_towns):
    from linli.accounts.tests.factories import user_with_role

    town_b_admin = user_with_role(Role.TOWN_STAFF, two_towns["b"], username="b_staff")
    town_a_user = user_with_role(Role.TOWN_STAFF, two_towns["a"], username="a_staff2")
    client.force_login(county_admin)
    assert client.get(reverse("accounts:user_detail", args=[town_b_admin.pk])).status_code == 200
    # a county admin of another county would not see it: make one by narrowing to town A only
    admin_a = user_with_role(Role.COUNTY_ADMIN, two_towns["county"], username="admin2")
    admin_a.roles.update(region=two_towns["a"], region_code=two_towns["a"].code)
    admin_a = User.objects.get(pk=admin_a.pk)
    client.force_login(admin_a)
    assert client.get(reverse("accounts:user_detail", args=[town_b_admin.pk])).status_code == 404
    assert client.get(reverse("accounts:user_detail", args=[town_a_user.pk])).status_code == 200


def test_the_token_page_shows_a_new_key_once(client, county_admin, two_towns):
    client.force_login(county_admin)
    response = client.post(
        reverse("accounts:token_list"), {"name": "12345热线", "region_code": "340223000000"}
    )
    html = response.content.decode()
    assert 'data-testid="new-token"' in html
    again = client.get(reverse("accounts:token_list")).content.decode()
    assert 'data-testid="new-token"' not in again
    assert "12345热线" in again
