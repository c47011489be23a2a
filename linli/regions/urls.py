from django.urls import path

from linli.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.region_tree, name="tree"),
    path("switch/", views.region_switch, name="switch"),
    path("import/", views.region_import, name="import"),
    path("export/", views.region_export, name="export"),
    path("template/", views.region_template, name="template"),
]
