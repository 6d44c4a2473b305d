from django.urls import path

from gamification import views

urlpatterns = [
    path("gym/<slug:slug>/desk/", views.desk, name="gym-desk"),
    path("gym/<slug:slug>/desk/sw.js", views.desk_service_worker, name="gym-desk-sw"),
    path("gym/<slug:slug>/desk/manifest.webmanifest", views.desk_web_manifest, name="gym-desk-manifest"),
    path("gym/<slug:slug>/cards/", views.cards, name="gym-cards"),
]
