from django.urls import path

from meetings import views

urlpatterns = [
    path("academy/<slug:slug>/status/", views.status_page, name="meetings-status"),
]
