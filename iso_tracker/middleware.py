from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class PreferredLanguageMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose English with the switch (a cookie), whatever the browser asks.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a provincial product is
    Vietnamese first, so only an explicit choice changes the language."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
