from django.urls import path

from linli.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_centre, name="centre"),
    path("jobs/<int:pk>/", views.job_row, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
    path("<slug:kind>/template/", views.import_template, name="template"),
    path("<slug:kind>/upload/", views.import_upload, name="upload"),
    path("<slug:kind>/export/", views.import_export, name="export"),
]
