from django.urls import path

from linli.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("new/", views.organisation_create, name="create"),
    path("regular/", views.regular_summary, name="regular"),
    path("<int:org_id>/", views.organisation_detail, name="detail"),
    path("<int:org_id>/edit/", views.organisation_edit, name="edit"),
    path("<int:org_id>/members/add/", views.member_add, name="member_add"),
    path(
        "<int:org_id>/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
]
