from django.urls import path

from gamification import views

urlpatterns = [
    path("gym/<slug:slug>/desk/", views.desk, name="gym-desk"),
    path("gym/<slug:slug>/cards/", views.cards, name="gym-cards"),
]
