from django.urls import path

from linli.access import views

app_name = "access"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("map/", views.walk_map, name="map"),
    path("map/data/", views.map_data, name="map_data"),
    path("siting/", views.siting_page, name="siting"),
    path("network/", views.network_page, name="network"),
    path("network/upload/", views.network_upload, name="network_upload"),
    path("network/refresh/", views.refresh, name="refresh"),
    path("network/settings/", views.settings_update, name="settings"),
    path("runs/<int:run_id>/", views.run_row, name="run"),
    path("circles/<int:circle_id>/edit/", views.circle_edit, name="circle_edit"),
]
