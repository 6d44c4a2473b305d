from django.urls import path

from staff.api import views

urlpatterns = [
    path("<slug:hotel_slug>/clock/", views.ClockView.as_view(), name="staff-clock"),
    path("<slug:hotel_slug>/clock-in/", views.ClockInView.as_view(), name="staff-clock-in"),
    path("<slug:hotel_slug>/clock-out/", views.ClockOutView.as_view(), name="staff-clock-out"),
    path("<slug:hotel_slug>/me/", views.MeView.as_view(), name="staff-me"),
    path("<slug:hotel_slug>/staff/", views.StaffListView.as_view(), name="staff-list"),
    path("<slug:hotel_slug>/staff/<int:staff_id>/clock-in/", views.OnBehalfClockInView.as_view(), name="staff-on-behalf-clock-in"),
    path("<slug:hotel_slug>/staff/<int:staff_id>/clock-out/", views.OnBehalfClockOutView.as_view(), name="staff-on-behalf-clock-out"),
    path("<slug:hotel_slug>/staff/<int:staff_id>/shifts/", views.ShiftsView.as_view(), name="staff-shifts"),
    path("<slug:hotel_slug>/board/", views.BoardView.as_view(), name="staff-board-snapshot"),
    path("<slug:hotel_slug>/timesheet/", views.TimesheetView.as_view(), name="staff-timesheet"),
    path("<slug:hotel_slug>/timesheet.csv", views.TimesheetCsvView.as_view(), name="staff-timesheet-csv"),
    path("<slug:hotel_slug>/pusher/auth/", views.PusherAuthView.as_view(), name="staff-pusher-auth"),
]
