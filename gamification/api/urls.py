from django.urls import path

from gamification.api import manifest, views

urlpatterns = [
    path("checkin", views.CheckInView.as_view(), name="gym-checkin"),
    path("biometric/checkin", views.BiometricCheckInView.as_view(), name="gym-biometric-checkin"),
    path("checkin/courtesy", views.CourtesyView.as_view(), name="gym-courtesy"),
    path("checkin/courtesy/queue", views.CourtesyQueueView.as_view(), name="gym-courtesy-queue"),
    path("members", views.MemberListView.as_view(), name="gym-members"),
    path("members/<int:member_id>", views.MemberDetailView.as_view(), name="gym-member"),
    path("members/<int:member_id>/subscription", views.SubscriptionView.as_view(), name="gym-subscription"),
    path("members/<int:member_id>/freeze", views.FreezeView.as_view(), name="gym-freeze"),
    path("members/<int:member_id>/footprint", views.FootprintView.as_view(), name="gym-footprint"),
    path("members/<int:member_id>/qr.svg", views.QrImageView.as_view(), name="gym-qr"),
    path("members/<int:member_id>/rotate-qr", views.RotateQrView.as_view(), name="gym-rotate-qr"),
    path("visits", views.VisitsView.as_view(), name="gym-visits"),
    path("refusals", views.RefusalsView.as_view(), name="gym-refusals"),
    path("desk", views.DeskView.as_view(), name="gym-desk-state"),
    path("door-manifest", manifest.DoorManifestView.as_view(), name="gym-door-manifest"),
    path("settings", views.GymSettingsView.as_view(), name="gym-settings"),
    path("closed-days", views.ClosedDaysView.as_view(), name="gym-closed-days"),
    path("webhooks/streak-reset", views.StreakResetWebhookView.as_view(), name="gym-webhook-streak-reset"),
]
