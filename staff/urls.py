from django.urls import path

from staff import kiosk, views

urlpatterns = [
    path("hotel/<slug:hotel_slug>/", views.staff_home, name="staff-home"),
    path("hotel/<slug:hotel_slug>/board/", views.board, name="staff-board"),
    path("hotel/<slug:hotel_slug>/kiosk/", kiosk.kiosk_page, name="staff-kiosk"),
    path("hotel/<slug:hotel_slug>/kiosk/clock", kiosk.kiosk_clock, name="staff-kiosk-clock"),
    path("hotel/<slug:hotel_slug>/timesheet/", views.timesheet_page, name="staff-timesheet-page"),
    path("hotel/<slug:hotel_slug>/timesheet.csv", views.timesheet_csv_page, name="staff-timesheet-csv-page"),
]
