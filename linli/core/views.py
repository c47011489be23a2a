from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from linli.core import nav
from linli.core.downloads import download_response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One home page per role: the entries of the user's roles, as large tiles."""
    user = request.user
    roles = getattr(user, "active_roles", [])
    template = (
        "core/home_resident.html" if getattr(user, "is_resident_only", False) else "core/home.html"
    )
    tiles = [item for item in nav.items_for(user) if item.url_name != "core:home"]
    return render(request, template, {"roles": roles, "tiles": tiles})


@login_required
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """A file this session produced (e.g. an import's row-by-row error report)."""
    return download_response(request, token)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness probe for the proxy and the benchmarks' bare endpoint."""
    return JsonResponse({"status": "ok"})
