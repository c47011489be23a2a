from django.urls import path

from linli.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("r/<str:code>/", views.region_overview, name="region"),
    path("r/<str:code>/gaps/", views.gaps, name="gaps"),
    path("r/<str:code>/report.<str:fmt>", views.report_download, name="report"),
    path("r/<str:code>/<str:indicator>/", views.indicator_drilldown, name="drilldown"),
    path("definitions/", views.definition_list, name="definitions"),
    path("definitions/new/", views.definition_edit, name="definition_new"),
    path("definitions/plan/import/", views.plan_import, name="plan_import"),
    path("definitions/plan/export/", views.plan_export, name="plan_export"),
    path("definitions/<str:indicator>/", views.definition_edit, name="definition_edit"),
    path("definitions/<str:indicator>/targets/new/", views.target_edit, name="target_new"),
    path("definitions/<str:indicator>/targets/<int:pk>/", views.target_edit, name="target_edit"),
    path(
        "definitions/<str:indicator>/targets/<int:pk>/delete/",
        views.target_delete,
        name="target_delete",
    ),
    path("snapshot/", views.snapshot_now, name="snapshot"),
]
