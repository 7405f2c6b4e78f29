"""The milestones a new transition starts from; DOST then edits them on the transition's page.

Each milestone: (code, Vietnamese name, English name, evidence required, completed automatically by)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TEMPLATES = {
    "2015-2026": (
        _("Transition to a new edition (2015 → 2026)"),
        [
            ("gap", "Đánh giá khoảng cách với phiên bản mới", "Gap analysis against the new edition", True, ""),
            ("trained", "Đào tạo cán bộ về phiên bản mới", "Staff trained on the new edition", True, ""),
            ("consultant", "Thuê tư vấn", "Consultant engaged", False, "contract"),
            ("documents", "Cập nhật hệ thống tài liệu", "Documents updated", True, ""),
            ("audit", "Đánh giá nội bộ theo phiên bản mới", "Internal audit against the new edition", True, "audit"),
            (
                "review",
                "Xem xét của lãnh đạo theo phiên bản mới",
                "Management review on the new edition",
                True,
                "review",
            ),
            ("reannounced", "Công bố lại theo phiên bản mới", "Re-announced on the new edition", True, "announcement"),
        ],
    ),
    "2008-2015": (
        _("As the 2008 → 2015 transition"),
        [
            ("trained", "Đào tạo cán bộ về phiên bản 2015", "Staff trained on the 2015 version", False, ""),
            ("consultant", "Thuê tư vấn", "Consultant engaged", False, ""),
            ("documents", "Chuyển đổi tài liệu", "Documents converted", False, ""),
            ("audit", "Đánh giá nội bộ theo bản 2015", "Internal audit on 2015", False, ""),
            ("review", "Xem xét của lãnh đạo", "Management review", False, ""),
            ("reannounced", "Công bố lại theo bản 2015", "Re-announced on 2015", False, "announcement"),
        ],
    ),
    "blank": (_("No milestones yet (add them on the next page)"), []),
}
