"""The API's documentation page (`/api/docs/`): the OpenAPI schema drf-spectacular makes, laid out as one
of our own pages (the site's layout, language and accessibility; nothing loaded from elsewhere). Tools
read the schema itself at `/api/schema/`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")
_made: dict[str, dict] = {}  # the schema per language: it changes only with the code


def schema(language: str) -> dict:
    if language not in _made:
        _made[language] = SchemaGenerator().get_schema(request=None, public=True)
    return _made[language]


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return {**_resolve(spec, node["allOf"][0]), **{k: v for k, v in node.items() if k != "allOf"}}
    return node


def _type(spec: dict, node: dict) -> str:
    node = _resolve(spec, node)
    if "enum" in node:
        return " | ".join(str(value) for value in node["enum"] if value not in ("", None))
    if node.get("type") == "array":
        return f"[{_type(spec, node.get('items', {}))}]"
    return node.get("format") or node.get("type") or "object"


def _fields(spec: dict, node: dict) -> list[dict]:
    """The fields a request body sends (read-only ones left out), as parameters "in" the body."""
    node = _resolve(spec, node)
    required = set(node.get("required", []))
    return [
        {
            "name": name,
            "in": "body",
            "type": _type(spec, field),
            "required": name in required,
            "description": _resolve(spec, field).get("description", ""),
        }
        for name, field in node.get("properties", {}).items()
        if not field.get("readOnly")
    ]


def _operation(spec: dict, path: str, method: str, operation: dict) -> dict:
    body = operation.get("requestBody", {}).get("content", {})
    media = next(iter(body), None)
    answers = []
    for code, answer in operation.get("responses", {}).items():
        content = answer.get("content", {}).get("application/json", {})
        reference = content.get("schema", {}).get("$ref", "")
        answers.append({"code": code, "schema": reference.rsplit("/", 1)[-1] if reference else ""})
    return {
        "method": method.upper(),
        "path": path,
        "id": operation["operationId"],
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "parameters": [
            {
                "name": p["name"],
                "in": p["in"],
                "required": p.get("required", False),
                "type": _type(spec, p.get("schema", {})),
                "description": p.get("description", ""),
            }
            for p in operation.get("parameters", [])
        ]
        + (_fields(spec, body[media]["schema"]) if media else []),
        "media": list(body),
        "responses": answers,
    }


@require_http_methods(["GET", "HEAD"])
def api_docs(request: HttpRequest) -> HttpResponse:
    spec = schema(get_language())
    groups: dict[str, list[dict]] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["api"])[0]
                groups.setdefault(tag, []).append(_operation(spec, path, method, item[method]))
    return render(request, "api/docs.html", {"info": spec["info"], "groups": sorted(groups.items())})
