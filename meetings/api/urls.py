from django.urls import path

from meetings.api import views

urlpatterns = [
    path("sync-participants/<int:class_id>", views.SyncParticipantsView.as_view(), name="meetings-sync-participants"),
    path("sync-all-active", views.SyncAllActiveView.as_view(), name="meetings-sync-all-active"),
    path("attendance-logs", views.AttendanceLogListView.as_view(), name="meetings-attendance-logs"),
    path("billing/families", views.FamilyBillingView.as_view(), name="meetings-billing-families"),
    path("payroll/teachers", views.TeacherPayrollView.as_view(), name="meetings-payroll-teachers"),
    path("status", views.StatusView.as_view(), name="meetings-status-api"),
]
