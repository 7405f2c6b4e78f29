"""No dead ends (issue 15): every link on every page a secretary can reach from the start page answers
for them, and a link to what they may not open is not shown at all."""

import html
import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.test import Client

from agencies.models import User

pytestmark = pytest.mark.django_db

SKIP = ("/static/", "/media/", "/accounts/logout", "/i18n/", "/admin/", "/accounts/two-factor")
LINK = re.compile(r'href="([^"#]+)')


def _crawl(username: str, limit: int = 400) -> dict[str, tuple[int, str]]:
    """Breadth-first from "/": {url: (status, the page that linked it)}; downloads are fetched, not parsed."""
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    seen: dict[str, tuple[int, str]] = {}
    queue = deque([("/", "")])
    while queue and len(seen) < limit:
        url, came_from = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, follow=True)
        seen[url] = (response.status_code, came_from)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for href in LINK.findall(response.content.decode()):
            link = html.unescape(href)
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not link.startswith("/") or link.startswith(SKIP):
                continue
            if "page=" in parts.query and not re.search(r"(^|&)page=2($|&)", parts.query):
                continue  # the second page stands for the others
            if link not in seen:
                queue.append((link, url))
    return seen


@pytest.mark.parametrize("username", ["tk.h02", "tk.skhcn"])
def test_every_link_a_secretary_can_reach_answers(demo, username):
    seen = _crawl(username)
    dead = {url: found for url, found in seen.items() if found[0] != 200}
    assert not dead, dead
    assert len(seen) > 20
