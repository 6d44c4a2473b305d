"""OpenAPI description of the device-key authentication (loaded in OrganizationsConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DeviceKeyScheme(OpenApiAuthenticationExtension):
    target_class = "organizations.authentication.DeviceKeyAuthentication"
    name = "DeviceKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A kiosk, terminal or screen key: `Authorization: Device <key>`.",
        }
