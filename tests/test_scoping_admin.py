"""Generated over every model in the admin: another town's rows are invisible to town staff."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from linli.core.admin_support import ScopedAdmin
from linli.core.testing import scoped_builders

ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _ids(item):
    return item[0]._meta.label


@pytest.mark.django_db
@pytest.mark.parametrize("item", ADMINS, ids=_ids)
def test_admin_model_is_scoped_or_closed_to_regional_staff(item, client, two_towns, town_staff_a):
    model, model_admin = item
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    client.force_login(town_staff_a)
    if not isinstance(model_admin, ScopedAdmin):
        # then a model with no region (Django's groups, the task queue, lock-out logs) is
        # for platform superusers only
        assert client.get(changelist).status_code == 403
        return
    builders = scoped_builders()
    assert model in builders, f"add a ScopedBuilder for {opts.label} in tests/scoped_builders.py"
    # given one row in each town
    own, marker_own = builders[model].make(two_towns["a"])
    other, marker_other = builders[model].make(two_towns["b"])
    # when town A's staff open the list
    page = client.get(changelist + "?all=")
    # then they see their own row and not town B's
    assert page.status_code == 200
    html = page.content.decode()
    assert marker_own in html
    assert marker_other not in html
    # and town B's change page does not open (the admin redirects away: no such object)
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[other.pk])
    response = client.get(change)
    assert response.status_code in (302, 404)
    assert (
        client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[own.pk])
        ).status_code
        == 200
    )
