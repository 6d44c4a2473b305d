from django.urls import path

from benchmarks.textbook.views import CheckInView
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("bench/textbook/check-in", CheckInView.as_view()), *product_urlpatterns]
