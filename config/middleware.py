"""The product's own "not found" page for pages, also while DEBUG is on (Django would show its
technical page, listing the URL patterns, to a receptionist who followed a link)."""

from django.http import Http404
from django.views.defaults import page_not_found


class NotFoundPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
