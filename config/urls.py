from django.contrib import admin
from django.urls import include, path

from config.api import api

admin.site.site_header = "邻里 · 管理后台"
admin.site.site_title = "邻里管理后台"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("open311/v2/", include("linli.cases.open311_urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("linli.accounts.urls")),
    path("regions/", include("linli.regions.urls")),
    path("people/", include("linli.people.urls")),
    path("orgs/", include("linli.orgs.urls")),
    path("facilities/", include("linli.facilities.urls")),
    path("workforce/", include("linli.workforce.urls")),
    path("imports/", include("linli.imports.urls")),
    path("cases/", include("linli.cases.urls")),
    path("access/", include("linli.access.urls")),
    path("indicators/", include("linli.indicators.urls")),
    path("", include("linli.core.urls")),
]
