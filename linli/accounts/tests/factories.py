"""Factories for users holding roles at regions."""

from __future__ import annotations

import factory

from linli.accounts.models import Role, RoleAssignment, User
from linli.core.pii import blind_index
from linli.regions.models import Region

TEST_PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with_role(
    role: str, region: Region, *, department: str = "", phone: str = "", **kwargs
) -> User:
    """A saved user holding `role` at `region` (staff flag as the services would set it)."""
    kwargs.setdefault("is_staff", role in (Role.COUNTY_ADMIN, Role.TOWN_STAFF))
    user = UserFactory(phone=phone, phone_hash=blind_index(phone), **kwargs)
    RoleAssignment.objects.create(
        user=user, role=role, region=region, region_code=region.code, department=department
    )
    return User.objects.get(pk=user.pk)  # fresh instance: no cached scope
