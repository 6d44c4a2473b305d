"""Every /api/ response the test suite receives is checked against the served OpenAPI schema.

conftest.py puts `SchemaValidationMiddleware` first in MIDDLEWARE for every test. A status, content
type or body the schema does not declare for the operation raises `SchemaMismatch`, so the test that
caused it fails with the operation and the difference. With CONTRACT_MISMATCH_LOG set, mismatches are
appended to that file as JSON lines instead (to count them across a whole run).
"""

import json
import os
from functools import cache

from django.http import StreamingHttpResponse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.validation.response.exceptions import InvalidData, MissingData

NOT_OPERATIONS = ("/api/schema/", "/api/docs/", "/api/redoc/")


class SchemaMismatch(AssertionError):
    pass


@cache
def schema_document() -> dict:
    """The schema exactly as /api/schema/ serves it, as plain JSON data."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(schema_document())


class PathRequest(DjangoOpenAPIRequest):
    """Find the operation by matching the path against the schema's templates (Django's route
    patterns, regex routers included, are not OpenAPI templates)."""

    @property
    def path_pattern(self):
        return None


def mismatch(request, response) -> str | None:
    """Return how the response differs from what the schema declares for its operation, or None."""
    if not request.path.startswith("/api/") or request.path.startswith(NOT_OPERATIONS):
        return None
    if isinstance(response, StreamingHttpResponse):
        return None  # a CSV stream: its content type is checked by the test that asks for it
    try:
        openapi().validate_response(PathRequest(request), DjangoOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        return None  # not an operation: the platform's JSON 404/405
    except (MissingData, InvalidData) as error:
        if not response.get("Content-Type", "").startswith("application/json"):
            return None  # a CSV table or an SVG image: its status and media type are declared, it has no JSON shape
        return describe(error)
    except Exception as error:  # noqa: BLE001 - an undeclared status, media type or header
        return describe(error)
    return None


def describe(error: Exception) -> str:
    causes = [str(error)] + [str(e) for e in getattr(error, "schema_errors", []) or []]
    cause = error.__cause__
    while cause is not None:
        causes.append(str(cause))
        causes.extend(str(e) for e in getattr(cause, "schema_errors", []) or [])
        cause = cause.__cause__
    return " | ".join(dict.fromkeys(c.splitlines()[0][:300] for c in causes if c))


class SchemaValidationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        problem = mismatch(request, response)
        if problem:
            where = f"{request.method} {request.path} -> {response.status_code}"
            log = os.environ.get("CONTRACT_MISMATCH_LOG")
            if log:
                with open(log, "a") as handle:
                    handle.write(json.dumps({"where": where, "problem": problem}) + "\n")
            else:
                raise SchemaMismatch(f"{where}: the response differs from the OpenAPI schema: {problem}")
        return response
