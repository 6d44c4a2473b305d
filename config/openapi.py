"""The OpenAPI contract: every operation declares its errors, its organization selector and a tag.

`ContractSchema` is DRF's schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]). On top of what
drf-spectacular derives from the views it adds, per operation:

- the error answers the shared exception handler (config.api.exception_handler) can give, each with
  the one `Error` body and the `code` values it may carry (a view adds its own codes with
  `error_codes = {409: ["duplicate_name"], ...}`);
- the organization selector (`X-Organization` header or `?org=`) where the organization is not in
  the path;
- a tag naming the domain (engine, staff, gym, bookings, meetings, organizations).
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from organizations.permissions import IsOrganizationPrincipal

TAGS = {
    "attendance": "engine",
    "staff": "staff",
    "gamification": "gym",
    "bookings": "bookings",
    "meetings": "meetings",
    "organizations": "organizations",
    "config": "platform",
}

# What the exception handler answers for any view, by status.
GENERIC_CODES = {
    400: ["invalid", "malformed_request", "nul_character", "duplicate", "out_of_range", "invalid_idempotency_key"],
    401: ["not_authenticated", "authentication_failed"],
    403: ["permission_denied"],
    404: ["not_found"],
    406: ["not_acceptable"],
    409: ["conflict", "in_use", "idempotency_key_in_use"],
    415: ["unsupported_media_type"],
    422: ["idempotency_key_reused"],
    429: ["throttled"],
}
STATUS_TEXT = {
    400: "The request is invalid",
    401: "No valid credentials",
    403: "The caller may not do this",
    404: "No such object in the caller's organization",
    406: "The requested format is not available",
    409: "The request conflicts with the current state",
    415: "The body is not JSON",
    422: "The idempotency key was used for another request",
    429: "Too many requests; retry after the Retry-After header's seconds",
    502: "A service this operation needs answered with an error",
    503: "A service this operation needs is unavailable",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErrorSerializer(serializers.Serializer):
    """Every error answer: a stable machine-readable code and a message a person can act on."""

    code = serializers.CharField(help_text="Stable, machine-readable; listed per status on each operation.")
    detail = serializers.CharField(help_text="A message a person can act on.")
    errors = serializers.JSONField(
        required=False, help_text="Per-field messages of a validation error (`code` is `invalid`)."
    )

    class Meta:
        ref_name = "Error"


def error_statuses(*, method: str, authenticated: bool) -> list[int]:
    """Return the statuses any operation of this kind can answer with an Error body."""
    statuses = [400, 404, 406, 429]
    if authenticated:
        statuses += [401, 403]
    if method in BODY_METHODS:
        statuses += [409, 415, 422]
    if method == "DELETE":
        statuses.append(409)
    return sorted(statuses)


class ContractSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        app = type(self.view).__module__.split(".")[0]
        return [TAGS.get(app, app)]

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        selects_organization = any(isinstance(p, IsOrganizationPrincipal) for p in self.view.get_permissions())
        if selects_organization and not getattr(self.view, "organization_url_kwarg", None):
            parameters += [
                OpenApiParameter(
                    "X-Organization", str, OpenApiParameter.HEADER,
                    description="Slug of the organization to act for (a member of several). Default: the "
                    "first membership; a device acts for its own organization.",
                ),
                OpenApiParameter("org", str, description="Same as the X-Organization header."),
            ]
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        own_codes = getattr(self.view, "error_codes", {})
        authenticated = bool(self.view.get_authenticators()) or bool(operation.get("security"))
        statuses = set(error_statuses(method=self.method, authenticated=authenticated)) | set(own_codes)
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation["responses"]
        for status in sorted(statuses):
            codes = GENERIC_CODES.get(status, []) + list(own_codes.get(status, []))
            listed = ", ".join(f"`{code}`" for code in dict.fromkeys(codes))
            responses.setdefault(
                str(status),
                {
                    "description": f"{STATUS_TEXT[status]}. Codes: {listed}." if listed else STATUS_TEXT[status],
                    "content": {"application/json": {"schema": error}},
                },
            )
        return operation
