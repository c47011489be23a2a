from django.urls import path

from linli.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.region_tree, name="tree"),
    path("switch/", views.region_switch, name="switch"),
]
