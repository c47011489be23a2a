from django.urls import path

from linli.workforce import views

app_name = "workforce"
urlpatterns = [
    path("", views.worker_list, name="list"),
    path("new/", views.worker_create, name="create"),
    path("staffing/", views.staffing, name="staffing"),
    path("<int:worker_id>/", views.worker_detail, name="detail"),
    path("<int:worker_id>/edit/", views.worker_edit, name="edit"),
    path("<int:worker_id>/positions/add/", views.position_add, name="position_add"),
    path(
        "<int:worker_id>/positions/<int:position_id>/end/",
        views.position_end,
        name="position_end",
    ),
    path("<int:worker_id>/certificates/add/", views.certificate_add, name="certificate_add"),
    path("<int:worker_id>/trainings/add/", views.training_add, name="training_add"),
]
