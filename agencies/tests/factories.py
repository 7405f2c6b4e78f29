"""Small builders for tests; they go through the services like the app does."""

from __future__ import annotations

import datetime
import itertools

from agencies import services
from agencies.models import Agency, AgencyVersion, Category, Province, User
from iso_tracker.permissions import SYSTEM

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
        actor=SYSTEM,
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


def bulk_agencies(
    province: Province, count: int, *, prefix: str = "B", parents: int = 5, renamed_on: datetime.date | None = None
) -> None:
    """`count` district offices under `parents` district committees, inserted in bulk (for scale tests and
    benchmarks). With `renamed_on`, each office has two periods: an older name until that day."""
    committees = [
        make_agency(province, code=f"{prefix}P{i:03d}", name=f"UBND huyện {prefix}{i}", category=Category.DISTRICT_PC)
        for i in range(parents)
    ]
    offices = Agency.objects.bulk_create(
        [
            Agency(
                province=province,
                code=f"{prefix}{i:06d}",
                name=f"Phòng chuyên môn số {i}",
                category=Category.DISTRICT_OFFICE,
                parent=committees[i % parents],
                locality=f"Huyện {i % 50}",
                secretary_name="Nguyễn Thị Hà",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    versions = []
    for office in offices:
        same = {"agency": office, "category": office.category, "parent": office.parent, "locality": office.locality}
        if renamed_on:
            versions.append(AgencyVersion(name=f"{office.name} (cũ)", valid_to=renamed_on, **same))
        versions.append(AgencyVersion(name=office.name, valid_from=renamed_on, **same))
    AgencyVersion.objects.bulk_create(versions, batch_size=4000)
