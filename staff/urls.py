from django.urls import path

from staff import kiosk, kiosk_offline, views

urlpatterns = [
    path("hotel/<slug:hotel_slug>/", views.staff_home, name="staff-home"),
    path("hotel/<slug:hotel_slug>/kiosk-pin", views.kiosk_pin_set, name="staff-kiosk-pin"),
    path("hotel/<slug:hotel_slug>/board/", views.board, name="staff-board"),
    path("hotel/<slug:hotel_slug>/kiosk/", kiosk.kiosk_page, name="staff-kiosk"),
    path("hotel/<slug:hotel_slug>/kiosk/clock", kiosk.kiosk_clock, name="staff-kiosk-clock"),
    path("hotel/<slug:hotel_slug>/kiosk/manifest", kiosk_offline.kiosk_manifest_view, name="staff-kiosk-manifest"),
    path("hotel/<slug:hotel_slug>/kiosk/push", kiosk_offline.kiosk_push, name="staff-kiosk-push"),
    path("hotel/<slug:hotel_slug>/kiosk/sw.js", kiosk_offline.kiosk_service_worker, name="staff-kiosk-sw"),
    path("hotel/<slug:hotel_slug>/timesheet/", views.timesheet_page, name="staff-timesheet-page"),
    path("hotel/<slug:hotel_slug>/timesheet.csv", views.timesheet_csv_page, name="staff-timesheet-csv-page"),
]
