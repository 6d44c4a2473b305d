"""Answers given before or around any view: NUL characters refused, ids that are not numbers refused,
and JSON for every /api/ path."""

import logging
import re

from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.defaults import page_not_found

logger = logging.getLogger(__name__)

NUL_DETAIL = "Text may not contain NUL (\\u0000) characters."
# Every id in this API is a database integer: `id`, `pk` and `*_id`, in the path or the query.
ID_NAME = re.compile(r"^(id|pk|.+_id)$")
ID_VALUE = re.compile(r"^[0-9]{1,18}$")


def is_id(name: str) -> bool:
    return bool(ID_NAME.match(name))


def bad_query_id(request) -> str | None:
    """Return the name of a query parameter that names an id but is not a whole number, if any."""
    for name, values in request.GET.lists():
        if is_id(name) and any(value and not ID_VALUE.match(value) for value in values):
            return name
    return None


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def has_nul_parameter(request) -> bool:
    return "\x00" in request.path_info or any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
    ) or (
        request.method == "POST"
        and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        and any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    )


class InputGuardMiddleware:
    """Refuse NUL characters in the path, query and form fields (no database stores them in text), and
    make every /api/ path answer JSON: an unknown path (a missing or extra trailing slash included)
    answers a JSON 404 instead of a redirect or Django's HTML page, and an unexpected error a JSON 500.
    Under /api/, an id (`id`, `pk`, `*_id`) that is not a whole number answers 404 in the path and
    400 in the query, before any view reads it.

    Placed before CommonMiddleware, so an /api/ path is never redirected to its slash variant.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = is_api(request)
        if has_nul_parameter(request):
            if api:
                return JsonResponse({"code": "nul_character", "detail": NUL_DETAIL}, status=400)
            return HttpResponseBadRequest(NUL_DETAIL, content_type="text/plain")
        if api:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return JsonResponse({"code": "not_found", "detail": not_found_detail(request.path_info)}, status=404)
            if any(is_id(name) and not ID_VALUE.match(str(value)) for name, value in match.kwargs.items()):
                return JsonResponse({"code": "not_found", "detail": "No object has this id."}, status=404)
            name = bad_query_id(request)
            if name is not None:
                detail = f"{name}: must be a whole number."
                return JsonResponse({"code": "invalid", "detail": detail, "errors": {name: [detail]}}, status=400)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api(request):
            return None
        if isinstance(exception, Http404):
            return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
        logger.exception("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return JsonResponse({"code": "server_error", "detail": "Something went wrong on our side."}, status=500)


def not_found_detail(path: str) -> str:
    other = path[:-1] if path.endswith("/") else f"{path}/"
    try:
        resolve(other)
    except Resolver404:
        return "No API endpoint at this path."
    return f"No API endpoint at this path; did you mean {other}?"


class NotFoundPageMiddleware:
    """The product's own "not found" page for pages, also while DEBUG is on (Django would show its
    technical page, listing the URL patterns, to a receptionist who followed a link)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and not is_api(request):
            return page_not_found(request, exception)
        return None
