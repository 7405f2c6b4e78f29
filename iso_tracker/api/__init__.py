"""The REST API (issue 18): `/api/v1/`, its OpenAPI 3 schema at `/api/schema/` and its docs page at
`/api/docs/` (Swagger UI served from our own static files).

A request is made as a user: with a personal token (`Authorization: Bearer isot_…`, `ApiToken`) or with
the browser's session. Every endpoint reads through the same scopes (`iso_tracker.permissions.scope`) and
writes through the same services, which ask the same rules (`require`), as the web pages; so what a
secretary's token reads and writes is exactly what that secretary's pages do.
"""
