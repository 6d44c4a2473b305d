"""API plumbing shared by every app: the error body and pagination."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from config.errors import DomainError

logger = logging.getLogger(__name__)

class NulCharacter(exceptions.ParseError):
    default_detail = "Text may not contain NUL (\\u0000) characters."
    default_code = "nul_character"


_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    NulCharacter: "nul_character",
    exceptions.ParseError: "malformed_request",
}


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a duplicate (PostgreSQL's SQLSTATE or SQLite's error name)."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23505" or getattr(cause, "sqlite_errorname", "") in (
        "SQLITE_CONSTRAINT_UNIQUE",
        "SQLITE_CONSTRAINT_PRIMARYKEY",
    )


def database_refusal(exc) -> DomainError | None:
    """Turn what the database (or date arithmetic) refuses about the input into a 4xx.

    Uniqueness and protected rows are invariants kept by the database; a service need not pre-check
    them (a pre-check races anyway). A value no column or date can hold is the caller's mistake.
    """
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return DomainError(
            "It is still in use; remove or move what refers to it first.", code="in_use", status_code=409
        )
    if isinstance(exc, IntegrityError) and is_unique_violation(exc):
        return DomainError("One with this name (or these values) already exists.", code="duplicate")
    if isinstance(exc, DataError):
        return DomainError(f"A value cannot be stored: {str(exc).splitlines()[0]}", code="out_of_range")
    if isinstance(exc, OverflowError):
        return DomainError("A date or number is out of the supported range.", code="out_of_range")
    return None


def exception_handler(exc, context):
    """Answer every error with `{"code": ..., "detail": ...}` and the right status, always as JSON
    (also where the operation's success answer is a CSV table)."""
    request = context.get("request")
    if request is not None:
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, RedisError):  # the shared cache is down or frozen: what needs it fails closed
        logger.warning("the cache is unreachable: %r", exc)
        body = {"code": "cache_unavailable", "detail": "A shared service is briefly unavailable; try again shortly."}
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
    refusal = database_refusal(exc)
    if refusal is not None:
        return Response(refusal.as_dict(), status=refusal.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "detail": _first_message(exc.detail), "errors": exc.detail}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), getattr(exc, "default_code", "error"))
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return Response({"code": code, "detail": str(exc.detail)}, status=exc.status_code, headers=headers)
    return None


def has_nul(data) -> bool:
    """Return whether any key or string in a parsed JSON value holds a NUL character."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


class JSONParser(DRFJSONParser):
    """The API's only parser: JSON, refused with a 400 when nested too deep or holding NUL characters
    (no database stores NUL in text, and PostgreSQL refuses it)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON nested too deep.", code="too_deep") from None
        if has_nul(data):
            raise NulCharacter()
        return data


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response_schema(self, schema):
        # DRF writes OpenAPI 3.0's `nullable`; the schema is 3.1, where null is a type.
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123},
                "next": {**link, "example": "https://attendance.example.com/api/v1/check-ins/?page=4"},
                "previous": {**link, "example": "https://attendance.example.com/api/v1/check-ins/?page=2"},
                "results": schema,
            },
        }


def validated(serializer_class, data, **context):
    """Validate `data` with an input serializer (raising the standard 400) and return the result."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
