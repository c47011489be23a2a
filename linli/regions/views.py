"""Region pages: the tree (drill-down), import/export, and the region switcher."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.core.scoping import ACTIVE_PREFIX_SESSION_KEY, request_scope
from linli.core.views_support import staff_required
from linli.regions import selectors
from linli.regions.switcher import region_switch_validate


@staff_required
def region_tree(request: HttpRequest) -> HttpResponse:
    """The subtree the user may see; `?root=CODE` drills down to one node."""
    scope = request_scope(request)
    root_code = request.GET.get("root") or None
    root = selectors.region_get_visible(scope, root_code) if root_code else None
    nodes = selectors.region_tree_for(scope, root_code=root_code)
    context = {
        "roots": selectors.region_tree_nested(nodes),
        "root": root,
        "can_import": scope.can_write and request.user.has_role("county_admin", "town_staff"),
    }
    return render(request, "regions/tree.html", context)


@staff_required
@require_POST
def region_switch(request: HttpRequest) -> HttpResponse:
    try:
        prefix = region_switch_validate(request.user, request.POST.get("prefix", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        prefix = ""
    if prefix:
        request.session[ACTIVE_PREFIX_SESSION_KEY] = prefix
    else:
        request.session.pop(ACTIVE_PREFIX_SESSION_KEY, None)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    return redirect(target)
