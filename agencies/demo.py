"""The Cao Bằng demo registry: the 77 agencies of 2019 (seed fact F5) and the reorganisations since.

Agency names follow the province's real structure; codes, contact data, people and the numbers of
the demo decisions are illustrative (each demo reorganisation says so in its note).
"""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction

from iso_tracker.permissions import SYSTEM

from . import services
from .models import Agency, Category, Province, User
from .services import LegalBasis

PROVINCE_CODE, PROVINCE_NAME = "04", "Cao Bằng"
DEMO_PASSWORD = "CaoBang@2019"  # noqa: S105 - printed on purpose: these are the demo logins
DEMO_NOTE = "Dữ liệu minh họa (demo); đối chiếu số hiệu văn bản với văn bản gốc trước khi dùng."

PROVINCIAL = [
    ("VPUB", "Văn phòng UBND tỉnh"),
    ("SNV", "Sở Nội vụ"),
    ("STP", "Sở Tư pháp"),
    ("SKHDT", "Sở Kế hoạch và Đầu tư"),
    ("STC", "Sở Tài chính"),
    ("SCT", "Sở Công Thương"),
    ("SNN", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("SGTVT", "Sở Giao thông vận tải"),
    ("SXD", "Sở Xây dựng"),
    ("STNMT", "Sở Tài nguyên và Môi trường"),
    ("STTTT", "Sở Thông tin và Truyền thông"),
    ("SLDTBXH", "Sở Lao động - Thương binh và Xã hội"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SYT", "Sở Y tế"),
    ("TTT", "Thanh tra tỉnh"),
    ("BDT", "Ban Dân tộc"),
    ("SNGV", "Sở Ngoại vụ"),
    ("BQLKKT", "Ban Quản lý Khu kinh tế tỉnh"),
]
UNITS = [
    ("CCTDC", "Chi cục Tiêu chuẩn Đo lường Chất lượng", "SKHCN"),
    ("CCKL", "Chi cục Kiểm lâm", "SNN"),
    ("CCTTBVTV", "Chi cục Trồng trọt và Bảo vệ thực vật", "SNN"),
    ("CCCNTY", "Chi cục Chăn nuôi và Thú y", "SNN"),
    ("CCTL", "Chi cục Thủy lợi", "SNN"),
    ("CCDS", "Chi cục Dân số - Kế hoạch hóa gia đình", "SYT"),
    ("CCATVSTP", "Chi cục An toàn vệ sinh thực phẩm", "SYT"),
    ("BTDKT", "Ban Thi đua - Khen thưởng", "SNV"),
    ("CCBVMT", "Chi cục Bảo vệ môi trường", "STNMT"),
]
DISTRICTS = [  # the thirteen district-level units of 2019
    ("H01", "Thành phố Cao Bằng", "UBND thành phố Cao Bằng"),
    ("H02", "Huyện Bảo Lâm", "UBND huyện Bảo Lâm"),
    ("H03", "Huyện Bảo Lạc", "UBND huyện Bảo Lạc"),
    ("H04", "Huyện Thông Nông", "UBND huyện Thông Nông"),
    ("H05", "Huyện Hà Quảng", "UBND huyện Hà Quảng"),
    ("H06", "Huyện Trà Lĩnh", "UBND huyện Trà Lĩnh"),
    ("H07", "Huyện Trùng Khánh", "UBND huyện Trùng Khánh"),
    ("H08", "Huyện Hạ Lang", "UBND huyện Hạ Lang"),
    ("H09", "Huyện Quảng Uyên", "UBND huyện Quảng Uyên"),
    ("H10", "Huyện Phục Hòa", "UBND huyện Phục Hòa"),
    ("H11", "Huyện Hòa An", "UBND huyện Hòa An"),
    ("H12", "Huyện Nguyên Bình", "UBND huyện Nguyên Bình"),
    ("H13", "Huyện Thạch An", "UBND huyện Thạch An"),
]
OFFICES = [("LDTBXH", "Phòng Lao động - Thương binh và Xã hội"), ("TNMT", "Phòng Tài nguyên và Môi trường")]
COMMUNES = [("X01", "UBND phường Hợp Giang"), ("X02", "UBND phường Sông Hiến"), ("X03", "UBND phường Đề Thám")]
CENTRAL = [
    ("TW-THUE", "Cục Thuế tỉnh Cao Bằng"),
    ("TW-KBNN", "Kho bạc Nhà nước Cao Bằng"),
    ("TW-BHXH", "Bảo hiểm xã hội tỉnh Cao Bằng"),
    ("TW-HQ", "Cục Hải quan tỉnh Cao Bằng"),
    ("TW-TK", "Cục Thống kê tỉnh Cao Bằng"),
    ("TW-NHNN", "Ngân hàng Nhà nước Chi nhánh tỉnh Cao Bằng"),
]
SECRETARY_NAMES = [
    "Nguyễn Thị Hà",
    "Hoàng Văn Đức",
    "Nông Thị Lan",
    "Lục Văn Quý",
    "Bế Thị Hằng",
    "Đàm Văn Tùng",
    "Lương Thị Mai",
    "Triệu Văn Sơn",
    "Hà Thị Thu",
    "Vi Văn Hùng",
]


def _offices_of(district_code: str) -> list[str]:
    return [f"{district_code}-{suffix}" for suffix, _name in OFFICES]


def _build_2019(province: Province) -> dict[str, Agency]:
    made: dict[str, Agency] = {}

    def add(code: str, name: str, category: str, parent: str | None = None, locality: str = "Cao Bằng", **extra):
        number = len(made)
        made[code] = services.agency_create(
            actor=SYSTEM,
            province=province,
            code=code,
            name=name,
            category=category,
            parent=made.get(parent) if parent else None,
            locality=locality,
            phone=f"0206.385{number:04d}"[:13],
            email=f"{code.lower()}@caobang.gov.vn",
            secretary_name=SECRETARY_NAMES[number % len(SECRETARY_NAMES)],
            secretary_email=f"thuky.{code.lower()}@caobang.gov.vn",
            **extra,
        )

    for code, name in PROVINCIAL:
        add(code, name, Category.PROVINCIAL_AGENCY)
    for code, name, parent in UNITS:
        add(code, name, Category.PROVINCIAL_UNIT, parent)
    for code, locality, name in DISTRICTS:
        add(code, name, Category.DISTRICT_PC, locality=locality)
        for (_suffix, office), office_code in zip(OFFICES, _offices_of(code), strict=True):
            add(office_code, f"{office} {locality[0].lower()}{locality[1:]}", Category.DISTRICT_OFFICE, code, locality)
    for code, name in COMMUNES:
        add(code, name, Category.COMMUNE_PC, "H01", "Thành phố Cao Bằng")
    for code, name in CENTRAL:
        add(code, name, Category.CENTRAL_AGENCY)
    return made


def _reorganise(province: Province, made: dict[str, Agency]) -> None:
    def fresh(code: str) -> Agency:
        made[code].refresh_from_db()
        return made[code]

    jan2020 = datetime.date(2020, 1, 1)
    basis_2020 = LegalBasis("864/NQ-UBTVQH14", datetime.date(2019, 12, 10), jan2020, DEMO_NOTE)
    # Thông Nông into Hà Quảng, Trà Lĩnh into Trùng Khánh: offices first, then the committees.
    for gone, stays in (("H04", "H05"), ("H06", "H07")):
        for office_gone, office_stays in zip(_offices_of(gone), _offices_of(stays), strict=True):
            services.reorganisation_merge(
                actor=SYSTEM,
                province=province,
                predecessors=[fresh(office_gone)],
                into=fresh(office_stays),
                basis=basis_2020,
            )
        services.reorganisation_merge(
            actor=SYSTEM, province=province, predecessors=[fresh(gone)], into=fresh(stays), basis=basis_2020
        )
    # Quảng Uyên and Phục Hòa into the new Quảng Hòa: the new committee, its offices, then the old committees.
    made["H14"] = services.agency_create(
        actor=SYSTEM,
        province=province,
        code="H14",
        name="UBND huyện Quảng Hòa",
        category=Category.DISTRICT_PC,
        locality="Huyện Quảng Hòa",
        established_on=jan2020,
        email="h14@caobang.gov.vn",
        secretary_name="Lã Thị Phương",
        secretary_email="thuky.h14@caobang.gov.vn",
    )
    for (suffix, office), new_code in zip(OFFICES, _offices_of("H14"), strict=True):
        services.reorganisation_merge(
            actor=SYSTEM,
            province=province,
            predecessors=[fresh(f"H09-{suffix}"), fresh(f"H10-{suffix}")],
            new_agency={
                "code": new_code,
                "name": f"{office} huyện Quảng Hòa",
                "category": Category.DISTRICT_OFFICE,
                "parent": fresh("H14"),
                "locality": "Huyện Quảng Hòa",
            },
            basis=basis_2020,
        )
        made[new_code] = Agency.objects.get(province=province, code=new_code)
    services.reorganisation_merge(
        actor=SYSTEM, province=province, predecessors=[fresh("H09"), fresh("H10")], into=fresh("H14"), basis=basis_2020
    )

    # 1/3/2025: Information and Communications merges into Science and Technology; Ban Dân tộc renamed.
    signed, effective = datetime.date(2025, 2, 26), datetime.date(2025, 3, 1)
    services.reorganisation_merge(
        actor=SYSTEM,
        province=province,
        predecessors=[fresh("STTTT")],
        into=fresh("SKHCN"),
        basis=LegalBasis("05/2025/NQ-HĐND", signed, effective, DEMO_NOTE),
    )
    services.reorganisation_rename(
        actor=SYSTEM,
        province=province,
        agency=fresh("BDT"),
        new_name="Sở Dân tộc và Tôn giáo",
        basis=LegalBasis("06/2025/NQ-HĐND", signed, effective, DEMO_NOTE),
    )

    # 1/7/2025: two-tier local government. The three wards merge into one; the district level goes.
    signed, effective = datetime.date(2025, 6, 16), datetime.date(2025, 7, 1)
    services.reorganisation_merge(
        actor=SYSTEM,
        province=province,
        predecessors=[fresh(code) for code, _name in COMMUNES],
        new_agency={
            "code": "X04",
            "name": "UBND phường Thục Phán",
            "category": Category.COMMUNE_PC,
            "parent": None,
            "locality": "Phường Thục Phán",
        },
        basis=LegalBasis("1657/NQ-UBTVQH15", signed, effective, DEMO_NOTE),
    )
    made["X04"] = Agency.objects.get(province=province, code="X04")
    district_level = Agency.objects.filter(
        province=province, category__in=[Category.DISTRICT_PC, Category.DISTRICT_OFFICE], ended_on__isnull=True
    )
    services.reorganisation_dissolve(
        actor=SYSTEM,
        province=province,
        agencies=list(district_level),
        basis=LegalBasis("72/2025/QH15", signed, effective, DEMO_NOTE),
    )


def _users(province: Province, password: str) -> list[tuple[str, str, str]]:
    password = make_password(password)
    logins = []
    staff = [
        ("dost", "Phạm Thị Thanh", User.Role.DOST, None),
        ("lanhdao", "Hoàng Văn Bình", User.Role.LEADERSHIP, None),
    ]
    for agency in Agency.objects.filter(province=province).order_by("code"):
        staff.append((f"tk.{agency.code.lower()}", agency.secretary_name or "Thư ký ISO", User.Role.SECRETARY, agency))
    existing = set(User.objects.filter(username__in=[s[0] for s in staff]).values_list("username", flat=True))
    new_users = []
    for username, full_name, role, agency in staff:
        last, _sep, first = full_name.rpartition(" ")
        if username not in existing:
            new_users.append(
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    role=role,
                    province=province,
                    agency=agency,
                    password=password,
                    email=f"{username.replace('tk.', 'thuky.')}@caobang.gov.vn",
                )
            )
        logins.append((username, str(role.label), agency.name if agency else province.name))
    User.objects.bulk_create(new_users)
    return logins


@transaction.atomic
def seed_demo(password: str = DEMO_PASSWORD) -> tuple[bool, list[tuple[str, str, str]]]:
    """Load the demo once; later calls change nothing. Returns (loaded now?, logins).

    New demo accounts get `password` (the published one unless an install chose its own)."""
    province, _created = Province.objects.get_or_create(code=PROVINCE_CODE, defaults={"name": PROVINCE_NAME})
    loaded = False
    if not Agency.objects.filter(province=province).exists():
        made = _build_2019(province)
        _reorganise(province, made)
        loaded = True
    return loaded, _users(province, password)
