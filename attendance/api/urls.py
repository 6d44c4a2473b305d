from django.urls import path
from rest_framework.routers import SimpleRouter

from attendance.api import views

router = SimpleRouter()
router.register("check-ins", views.CheckInViewSet, basename="check-in")
router.register("members", views.MemberViewSet, basename="member")
router.register("corrections", views.CorrectionViewSet, basename="correction")

urlpatterns = [
    path("check-outs/", views.CheckOutView.as_view(), name="check-out"),
    path("toggle/", views.ToggleView.as_view(), name="toggle"),
    path("occupancy/", views.OccupancyView.as_view(), name="occupancy"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("refusals/", views.RefusalListView.as_view(), name="refusal-list"),
    path("history/<str:attendee_type>/<int:attendee_id>/", views.HistoryView.as_view(), name="history"),
    *router.urls,
]
