"""Answers given before any view reads the request: NUL characters and ids that are not numbers are
refused, and every /api/ path answers JSON."""

import logging
import re

from django.http import Http404, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.defaults import page_not_found

from config.api import database_refusal

logger = logging.getLogger(__name__)

NUL_DETAIL = "Text may not contain NUL (\\u0000) characters."
# Every id in this product is a database integer: `id`, `pk` and `*_id`, in the path, query or form.
ID_NAME = re.compile(r"^(id|pk|.+_id)$")
ID_VALUE = re.compile(r"^[0-9]{1,18}$")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def form_fields(request):
    if request.method == "POST" and request.content_type in FORM_TYPES:
        return request.POST.lists()
    return []


def has_nul(request) -> bool:
    fields = [*request.GET.lists(), *form_fields(request)]
    return "\x00" in request.path_info or any(
        "\x00" in name or any("\x00" in value for value in values) for name, values in fields
    )


def bad_id_field(request) -> str | None:
    """Return the name of a query field (or a page's form field) that names an id but holds no whole
    number, if any. The API takes JSON bodies, which its serializers type field by field."""
    fields = [*request.GET.lists(), *([] if is_api(request) else form_fields(request))]
    for name, values in fields:
        if ID_NAME.match(name) and any(value and not ID_VALUE.match(value) for value in values):
            return name
    return None


def refuse(api: bool, status: int, code: str, detail: str, **extra):
    if api:
        return JsonResponse({"code": code, "detail": detail, **extra}, status=status)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


class InputGuardMiddleware:
    """Refuse, before any view runs: NUL characters in the path, query or form fields (no database
    stores them in text: 400 `nul_character`), and an id (`id`, `pk`, `*_id`) that is not a whole
    number (in an API path: 404, as it names nothing; in the query or a page's form: 400 `invalid`).

    Every /api/ path answers JSON: an unknown one (a missing or extra trailing slash included) a JSON
    404 rather than a redirect or Django's HTML page, an unexpected error a JSON 500. Placed before
    CommonMiddleware, so an /api/ path is never redirected to its slash variant.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = is_api(request)
        if has_nul(request):
            return refuse(api, 400, "nul_character", NUL_DETAIL)
        if api:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return refuse(api, 404, "not_found", not_found_detail(request.path_info))
            # Routers match any text as `pk`; pages declare <int:...> ids in their URLs.
            if any(ID_NAME.match(name) and not ID_VALUE.match(str(value)) for name, value in match.kwargs.items()):
                return refuse(api, 404, "not_found", "No object has this id.")
        name = bad_id_field(request)
        if name is not None:
            detail = f"{name}: must be a whole number."
            return refuse(api, 400, "invalid", detail, errors={name: [detail]})
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api(request):
            return None
        if isinstance(exception, Http404):
            return refuse(True, 404, "not_found", "Not found.")
        logger.exception("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return refuse(True, 500, "server_error", "Something went wrong on our side.")


def not_found_detail(path: str) -> str:
    other = path[:-1] if path.endswith("/") else f"{path}/"
    try:
        resolve(other)
    except Resolver404:
        return "No API endpoint at this path."
    return f"No API endpoint at this path; did you mean {other}?"


class NotFoundPageMiddleware:
    """The product's own "not found" page for pages, also while DEBUG is on (Django would show its
    technical page, listing the URL patterns, to a receptionist who followed a link). What the
    database or date arithmetic refuses about a page's input (a year-9999 date in a report's period,
    a duplicate name, a row still in use) answers the same 4xx as in the API, as plain text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_api(request):
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        refusal = database_refusal(exception)
        if refusal is not None:
            return refuse(False, refusal.status_code, refusal.code, refusal.detail)
        return None
