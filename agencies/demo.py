"""The Cao Bằng demo registry: the 77 agencies of 2019 (seed fact F5) and the reorganisations since.

Agency names follow the province's real structure; codes, contact data, people and the numbers of
the demo decisions are illustrative (each demo reorganisation says so in its note).
"""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from iso_tracker.permissions import SYSTEM

from . import services
from .models import Agency, Category, EndReason, Handover, Province, Reorganisation, User
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
# 1/3/2025 (Conclusion 121-KL/TW; the province's resolutions): (merged away, into).
DEPARTMENT_MERGERS_2025 = [("SKHDT", "STC"), ("SGTVT", "SXD"), ("SLDTBXH", "SNV"), ("STTTT", "SKHCN")]
# 1/7/2025: the district units still existing then (after the 2020 mergers), and the communes each one's
# territory became. The city's became the three wards; the others' communes are numbered: their real names
# are not in our sources, so the demo's names are illustrative and each one's note says so.
COMMUNES_2025 = [
    ("H02", "Bảo Lâm", 6),
    ("H03", "Bảo Lạc", 6),
    ("H05", "Hà Quảng", 6),
    ("H07", "Trùng Khánh", 6),
    ("H08", "Hạ Lang", 6),
    ("H11", "Hòa An", 6),
    ("H12", "Nguyên Bình", 6),
    ("H13", "Thạch An", 6),
    ("H14", "Quảng Hòa", 5),
]
WARDS_2025 = [("X04", "UBND phường Thục Phán"), ("X05", "UBND phường Nùng Trí Cao"), ("X06", "UBND phường Tân Giang")]
WARD_NOTE = (
    "Phường của thành phố Cao Bằng cũ từ 01/7/2025; đối chiếu tên với nghị quyết sắp xếp đơn vị hành chính cấp xã "
    "trước khi dùng. Mã và số liệu minh họa (demo)."
)
COMMUNE_NOTE = (
    "Tên minh họa (demo): xã thứ {k} trên địa bàn huyện {district} cũ; tên thật theo nghị quyết sắp xếp đơn vị "
    "hành chính cấp xã năm 2025 chưa được đối chiếu."
)
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


def commune_level_units() -> list[tuple[str, str, str, str]]:
    """The 56 commune-level units of 1/7/2025 as (code, name, locality, note): 3 wards, then 53 communes."""
    units = [(code, name, "Phường " + name.removeprefix("UBND phường "), WARD_NOTE) for code, name in WARDS_2025]
    number = len(units) + 4
    for _district_code, district, count in COMMUNES_2025:
        for k in range(1, count + 1):
            name = f"UBND xã {district} {k}"
            units.append((f"X{number:02d}", name, f"Xã {district} {k}", COMMUNE_NOTE.format(k=k, district=district)))
            number += 1
    return units


def successor_commune(district_code: str) -> str:
    """The code of the commune-level unit that takes over what a dissolved district unit carried: the city's
    first ward, or the first commune of the district's territory."""
    number = 7
    for code, _district, count in COMMUNES_2025:
        if code == district_code:
            return f"X{number:02d}"
        number += count
    return WARDS_2025[0][0]


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

    # 1/3/2025: the departments merged, as in every province. Agriculture and Natural Resources form the new
    # Agriculture and Environment: it is set up first, their chi cục move under it, then the two merge into it.
    signed, effective = datetime.date(2025, 2, 26), datetime.date(2025, 3, 1)
    for number, (gone, into) in enumerate(DEPARTMENT_MERGERS_2025, start=1):
        services.reorganisation_merge(
            actor=SYSTEM,
            province=province,
            predecessors=[fresh(gone)],
            into=fresh(into),
            basis=LegalBasis(f"{number:02d}/2025/NQ-HĐND", signed, effective, DEMO_NOTE),
        )
    basis_agriculture = LegalBasis("07/2025/NQ-HĐND", signed, effective, DEMO_NOTE)
    made["SNNMT"] = services.agency_create(
        actor=SYSTEM,
        province=province,
        code="SNNMT",
        locality="Cao Bằng",
        name="Sở Nông nghiệp và Môi trường",
        category=Category.PROVINCIAL_AGENCY,
        established_on=effective,
        email="snnmt@caobang.gov.vn",
        secretary_name="Nông Văn Thắng",
        secretary_email="thuky.snnmt@caobang.gov.vn",
    )
    for code in ("CCKL", "CCTTBVTV", "CCCNTY", "CCTL", "CCBVMT"):
        services.reorganisation_transfer(
            actor=SYSTEM, province=province, agency=fresh(code), new_parent=fresh("SNNMT"), basis=basis_agriculture
        )
    services.reorganisation_merge(
        actor=SYSTEM,
        province=province,
        predecessors=[fresh("SNN"), fresh("STNMT")],
        into=fresh("SNNMT"),
        basis=basis_agriculture,
    )
    services.reorganisation_rename(
        actor=SYSTEM,
        province=province,
        agency=fresh("BDT"),
        new_name="Sở Dân tộc và Tôn giáo",
        basis=LegalBasis("06/2025/NQ-HĐND", signed, effective, DEMO_NOTE),
    )

    # 1/7/2025: two-level local government. The three wards of 2019 merge into one; two more wards and 53
    # communes take over from the 161 communes (not in the registry); the provincial public administrative
    # service centre opens; the district level goes.
    signed, effective = datetime.date(2025, 6, 16), datetime.date(2025, 7, 1)
    services.reorganisation_merge(
        actor=SYSTEM,
        province=province,
        predecessors=[fresh(code) for code, _name in COMMUNES],
        new_agency={
            "code": "X04",
            "name": "UBND phường Thục Phán",
            "category": Category.COMMUNE_LEVEL_PC,
            "parent": None,
            "locality": "Phường Thục Phán",
            "note": WARD_NOTE,
        },
        basis=LegalBasis("1657/NQ-UBTVQH15", signed, effective, DEMO_NOTE),
    )
    made["X04"] = Agency.objects.get(province=province, code="X04")
    for code, name, locality, note in commune_level_units()[1:]:
        made[code] = services.agency_create(
            actor=SYSTEM,
            province=province,
            code=code,
            name=name,
            category=Category.COMMUNE_LEVEL_PC,
            locality=locality,
            established_on=effective,
            email=f"{code.lower()}@caobang.gov.vn",
            note=note,
        )
    made["TTPVHCC"] = services.agency_create(
        actor=SYSTEM,
        province=province,
        code="TTPVHCC",
        locality="Cao Bằng",
        name="Trung tâm Phục vụ hành chính công tỉnh Cao Bằng",
        category=Category.SERVICE_CENTRE,
        parent=fresh("VPUB"),
        established_on=effective,
        email="ttpvhcc@caobang.gov.vn",
        secretary_name="Hoàng Thị Yến",
        secretary_email="thuky.ttpvhcc@caobang.gov.vn",
        note="Trung tâm Phục vụ hành chính công cấp tỉnh theo Nghị định 118/2025/NĐ-CP; số liệu minh họa (demo).",
    )
    district_level = Agency.objects.filter(
        province=province, category__in=[Category.DISTRICT_PC, Category.DISTRICT_OFFICE], ended_on__isnull=True
    )
    services.reorganisation_dissolve(
        actor=SYSTEM,
        province=province,
        agencies=list(district_level),
        basis=LegalBasis("72/2025/QH15", signed, effective, DEMO_NOTE),
    )


def _users(province: Province, password: str) -> None:
    """The demo's accounts not there yet: DOST, leadership and a secretary for every agency."""
    password = make_password(password)
    staff = [
        ("dost", "Phạm Thị Thanh", User.Role.DOST, None),
        ("lanhdao", "Hoàng Văn Bình", User.Role.LEADERSHIP, None),
        # Ministry staff (Ủy ban Tiêu chuẩn Đo lường Chất lượng Quốc gia): every province, read only.
        ("bokhcn", "Trần Minh Quân", User.Role.MINISTRY, None),
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
                    province=None if role == User.Role.MINISTRY else province,
                    agency=agency,
                    password=password,
                    email=f"{username.replace('tk.', 'thuky.')}@caobang.gov.vn",
                )
            )
    User.objects.bulk_create(new_users)


@transaction.atomic
def seed_demo(password: str = DEMO_PASSWORD) -> bool:
    """Load the demo once; later calls change nothing. Returns whether it loaded now (`demo_logins` lists
    the accounts once the other apps' demos and the hand-over are in).

    New demo accounts get `password` (the published one unless an install chose its own)."""
    province, _created = Province.objects.get_or_create(code=PROVINCE_CODE, defaults={"name": PROVINCE_NAME})
    loaded = False
    if not Agency.objects.filter(province=province).exists():
        made = _build_2019(province)
        _reorganise(province, made)
        loaded = True
    _users(province, password)
    return loaded


# The hand-over of what every ended unit carried (after the other apps' demo data exists) ---------------------


def _successor(agency: Agency) -> str:
    """Who takes over from the ended `agency`: its merger's successor, or for a dissolved district unit the
    commune-level unit that took over the district's territory (an office follows its committee)."""
    if agency.end_reason == EndReason.DISSOLVED:
        return successor_commune(agency.parent.code if agency.parent_id else agency.code)
    merger = agency.reorganisations_out.filter(kind=Reorganisation.Kind.MERGE).first()
    return merger.successors.values_list("code", flat=True).first()


# A self-report of a closed round stays with the unit; so do its procedures and processes: the successor
# keeps its own list, and the ended unit's stay its history (the 2019 figures do not change).
STAY_WITH_THE_UNIT = {Handover.Kind.SELF_REPORT, Handover.Kind.PROCEDURE, Handover.Kind.PROCESS}


@transaction.atomic
def seed_handover(province: Province) -> bool:
    """Decide, once, what each ended unit carried: its profile, staff, findings and files go to the
    successor; its self-reports of closed rounds, procedures and processes are closed with it; a district
    committee's secretary account moves to the commune that took over the district, the others are
    disabled. Returns whether anything was decided now."""
    from . import handover

    dost = User.objects.get(province=province, username="dost")
    by_code = {agency.code: agency for agency in Agency.objects.filter(province=province)}
    ended = handover.with_open_items(Agency.objects.filter(province=province)).order_by("ended_on", "code")
    decided = False
    for agency in ended.select_related("parent"):
        to = by_code[_successor(agency)]
        keep_account = agency.end_reason == EndReason.DISSOLVED and agency.category == Category.DISTRICT_PC
        moved, closed = [], []
        for kind, pk in handover.open_item_keys(agency):
            if kind in STAY_WITH_THE_UNIT or (kind == Handover.Kind.ACCOUNT and not keep_account):
                closed.append((kind, pk))
            else:
                moved.append((kind, pk))
        if moved:
            handover.decide(actor=dost, agency=agency, items=moved, to=to)
        if closed:
            handover.decide(actor=dost, agency=agency, items=closed, to=None)
        decided = True
    return decided


def demo_logins(province: Province) -> list[tuple[str, str, str]]:
    """(username, role, where) of the demo's active accounts as they stand now: a secretary account that a
    hand-over moved shows its new agency; a disabled one is not listed."""
    users = (
        User.objects.filter(is_active=True)
        .filter(
            Q(province=province, username__in=["dost", "lanhdao"])
            | Q(province=province, username__startswith="tk.")
            | Q(username="bokhcn", role=User.Role.MINISTRY)
        )
        .select_related("agency")
    )
    order = {"dost": 0, "lanhdao": 1, "bokhcn": 2}
    ordered = sorted(users, key=lambda u: (order.get(u.username, 3), u.username))

    def where(user: User) -> str:
        if user.agency:
            return user.agency.name
        return province.name if user.province_id else gettext("every province")

    return [(u.username, str(u.get_role_display()), where(u)) for u in ordered]
