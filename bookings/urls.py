from django.urls import path

from bookings import views

urlpatterns = [
    path("studio/<slug:slug>/reports/", views.reports_dashboard, name="bookings-reports"),
    path("studio/<slug:slug>/classes/", views.desk, name="bookings-desk"),
    path("studio/<slug:slug>/classes/<int:class_id>/", views.class_roster, name="bookings-roster"),
]
