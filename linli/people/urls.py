from django.urls import path

from linli.people import views

app_name = "people"
urlpatterns = [
    path("", views.resident_list, name="resident_list"),
    path("residents/new/", views.resident_create, name="resident_create"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:resident_id>/move/", views.resident_move, name="resident_move"),
    path("residents/<int:resident_id>/leave/", views.resident_leave, name="resident_leave"),
    path(
        "residents/<int:resident_id>/reveal/<str:field>/",
        views.resident_reveal,
        name="resident_reveal",
    ),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:household_id>/head/", views.household_head, name="household_head"),
    path(
        "households/<int:household_id>/reveal/<str:field>/",
        views.household_reveal,
        name="household_reveal",
    ),
    path("grid/", views.my_grid, name="my_grid"),
    path("options/households/", views.household_options, name="household_options"),
    path("options/buildings/", views.building_options, name="building_options"),
]
