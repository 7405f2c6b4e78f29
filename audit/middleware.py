from .recorder import counting_writes, record

# Answers that refuse a signed-in user something, or anyone a forbidden page.
REFUSED = {403, 404, 405}


class AuditMiddleware:
    """Records every request that wrote to the database, and every refused access."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with counting_writes() as counter:
            response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        changes = counter.as_dict()
        if changes:
            record("write", request=request, status=response.status_code, changes=changes)
        elif response.status_code in REFUSED and (signed_in or response.status_code == 403):
            record("refused", request=request, status=response.status_code)
        return response
