from django.urls import path
from rest_framework.routers import SimpleRouter

from bookings.api import reports, views

router = SimpleRouter()
router.register("venues", views.VenueViewSet, basename="bookings-venue")
router.register("instructors", views.InstructorViewSet, basename="bookings-instructor")
router.register("class-types", views.ClassTypeViewSet, basename="bookings-class-type")
router.register("classes", views.FitnessClassViewSet, basename="bookings-class")
router.register("plans", views.MembershipPlanViewSet, basename="bookings-plan")
router.register("memberships", views.CustomerMembershipViewSet, basename="bookings-membership")
router.register("packages", views.ClassPackageViewSet, basename="bookings-package")
router.register("bookings", views.BookingViewSet, basename="bookings-booking")
router.register("waitlist", views.WaitlistViewSet, basename="bookings-waitlist")

urlpatterns = [
    path("studio/", views.StudioOptionsView.as_view(), name="bookings-studio"),
    path("check-ins/", views.ClassCheckInView.as_view(), name="bookings-check-in"),
    path("reports/statistics/", reports.StatisticsReport.as_view(), name="bookings-report-statistics"),
    path("reports/capacity/", reports.CapacityReport.as_view(), name="bookings-report-capacity"),
    path("reports/late-arrivals/", reports.LateArrivalsReport.as_view(), name="bookings-report-late"),
    path("reports/timeline/", reports.TimelineReport.as_view(), name="bookings-report-timeline"),
    path("reports/instructors/", reports.InstructorReport.as_view(), name="bookings-report-instructors"),
    path("reports/revenue/", reports.RevenueReport.as_view(), name="bookings-report-revenue"),
    path("reports/peak-hours/", reports.PeakHoursReport.as_view(), name="bookings-report-peak-hours"),
    path("reports/engagement/", reports.EngagementReport.as_view(), name="bookings-report-engagement"),
    path("reports/attendances/", reports.AttendancesReport.as_view(), name="bookings-report-attendances"),
    path("reports/customers/<int:customer_id>/history/", reports.CustomerHistoryReport.as_view(),
         name="bookings-report-customer-history"),
    *router.urls,
]
