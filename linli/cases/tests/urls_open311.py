"""The project's URLs plus Open311 at /open311/v2/, as config/urls.py mounts it."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

_mounted = any(getattr(p, "namespace", None) == "open311" for p in project_urlpatterns)
urlpatterns = [
    *([] if _mounted else [path("open311/v2/", include("linli.cases.open311_urls"))]),
    *project_urlpatterns,
]
