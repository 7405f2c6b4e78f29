"""Small builders for tests; they go through the services like the app does."""

from __future__ import annotations

import itertools

from agencies import services
from agencies.models import Agency, Category, Province, User

_counter = itertools.count(1)


def make_province(code: str = "04", name: str = "Cao Bằng") -> Province:
    return Province.objects.get_or_create(code=code, defaults={"name": name})[0]


def make_agency(
    province: Province,
    *,
    code: str | None = None,
    name: str | None = None,
    category: str = Category.PROVINCIAL_AGENCY,
    parent: Agency | None = None,
    **extra,
) -> Agency:
    number = next(_counter)
    return services.agency_create(
        province=province,
        code=code or f"A{number:05d}",
        name=name or f"Sở Thử nghiệm số {number}",
        category=category,
        parent=parent,
        **extra,
    )


def make_user(
    username: str,
    role: str,
    *,
    province: Province | None = None,
    agency: Agency | None = None,
    password: str = "Mật-khẩu-thử-2019",
) -> User:
    user = User(
        username=username,
        role=role,
        province=province or (agency.province if agency else None),
        agency=agency,
        first_name=username.title(),
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user
