from django.urls import path

from linli.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_home, name="home"),
    path("report/", views.case_report_page, name="report"),
    path("nearby/", views.case_nearby, name="nearby"),
    path("mine/", views.case_mine, name="mine"),
    path("queue/", views.case_queue, name="queue"),
    path("desk/", views.case_desk, name="desk"),
    path("department/", views.case_department_desk, name="department"),
    path("board/", views.case_board, name="board"),
    path("stats/", views.case_stats, name="stats"),
    path("inbox/", views.case_inbox, name="inbox"),
    path("inbox/read/", views.case_inbox_read, name="inbox_read"),
    path("inbox/<int:pk>/", views.case_inbox_open, name="inbox_open"),
    path("photos/<int:pk>/", views.case_photo, name="photo"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/follow/", views.case_follow, name="follow"),
    path("<int:pk>/act/<str:action>/", views.case_act, name="act"),
]
