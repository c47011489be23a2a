from django.urls import path

from linli.regions import building_views, views

app_name = "regions"
urlpatterns = [
    path("", views.region_tree, name="tree"),
    path("switch/", views.region_switch, name="switch"),
    path("import/", views.region_import, name="import"),
    path("export/", views.region_export, name="export"),
    path("template/", views.region_template, name="template"),
]

urlpatterns += [
    path("buildings/", building_views.building_list, name="building_list"),
    path("buildings/new/", building_views.building_create, name="building_create"),
    path("buildings/<int:building_id>/", building_views.building_detail, name="building_detail"),
    path("buildings/<int:building_id>/edit/", building_views.building_edit, name="building_edit"),
]
