from django.contrib import admin
from django.urls import include, path

from config.api import api

admin.site.site_header = "邻里 · 管理后台"
admin.site.site_title = "邻里管理后台"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("linli.accounts.urls")),
    path("regions/", include("linli.regions.urls")),
    path("", include("linli.core.urls")),
]
