"""How the schema describes our authentication (drf-spectacular extensions; imported by `api.urls`)."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "iso_tracker.api.auth.TokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema: AutoSchema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token (isot_…) made on your profile page; read only unless made otherwise.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "iso_tracker.api.auth.SessionWithoutSecondStep"
    name = "session"

    def get_security_definition(self, auto_schema: AutoSchema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "What went wrong, in the caller's language.",
}
INVALID = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "object"}]
    },
    "description": "Messages per field or parameter; `detail` when the body itself cannot be read.",
}


def error_responses(result, generator, request, public):
    """Every operation's error answers, as the API gives them (`base.handle`): 400 with messages per field
    or parameter, 401/403/404/429 with a `detail`, 409 where a stale revision is refused."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"], components["Invalid"] = ERROR, INVALID
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    invalid = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Invalid"}}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            answers = operation.setdefault("responses", {})
            answers.setdefault("400", {"description": "Invalid parameters or fields.", **invalid})
            for code, why in (
                ("401", "No valid token or session."),
                ("403", "Not allowed for this user or token."),
                ("404", "Not found, or not this user's to see."),
                ("429", "Too many calls: wait and try again."),
            ):
                answers.setdefault(code, {"description": why, **error})
            if method == "post" and operation["operationId"].endswith("actions_create"):
                answers.setdefault("409", {"description": "Changed since the revision sent.", **error})
    return result
