"""Demo accounts (called by ``onewindow demo_data`` after the catalog demo made the departments).

Idempotent and deterministic from the seed. Every record is made through the services, as a
system admin would, so the audit trail of a fresh demo shows how it was built. Passwords are
fixed and printed: demo only, never on a network.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.db import transaction

from onewindow.core.errors import NotFound
from onewindow.core.models import Department, Region, RegionLevel

from . import services
from .choices import StaffRoleKind
from .models import Mandate, Organization, Person, StaffRole, User
from .sample_identifiers import sample_credit_code, sample_mobile, sample_resident_id

JINGAN = "310106"
LINFEN = "310106021"

# username, password, role label, person name, staff role (None: citizen)
ACCOUNTS: list[tuple[str, str, str, str, str | None]] = [
    ("citizen", "citizen-demo-2017", "市民 citizen", "张伟", None),
    ("agent", "agent-demo-2017", "企业经办人 enterprise agent", "王芳", None),
    ("clerk", "clerk-demo-2017", "受理员 window clerk (静安区)", "李娜", StaffRoleKind.WINDOW_CLERK),
    ("reviewer", "reviewer-demo-2017", "审核员 reviewer (静安区)", "刘洋", StaffRoleKind.REVIEWER),
    ("manager", "manager-demo-2017", "中心负责人/部门管理员 center manager / department admin", "陈静",
     StaffRoleKind.DEPARTMENT_ADMIN),
    # The department that owns the 临汾路 center's 170 items (catalog demo: 310106021-SQSW): it
    # decides the center manager's item proposals (事项准入, issue #14), so the two roles are apart.
    ("linfenadmin", "linfenadmin-demo-2017", "事项所属部门管理员 item department admin (临汾路)", "周敏",
     StaffRoleKind.DEPARTMENT_ADMIN),
    ("admin", "admin-demo-2017", "系统管理员 system admin (superuser)", "杨磊", StaffRoleKind.SYSTEM_ADMIN),
]


def _district() -> Region:
    region = Region.objects.filter(code=JINGAN).first()
    if region is None:  # the core demo normally loads the division table first
        city, _ = Region.objects.get_or_create(code="310000", defaults={"name": "上海市", "level": RegionLevel.CITY})
        region, _ = Region.objects.get_or_create(code=JINGAN, defaults={"name": "静安区", "parent": city,
                                                                        "level": RegionLevel.DISTRICT})
    return region


def _clerk_department(district: Region) -> Department | None:
    """A district department of 静安区 (the market-regulation bureau when the catalog demo made
    one); None when no department exists, and the roles are then scoped to the district."""
    departments = Department.objects.filter(region=district, level=RegionLevel.DISTRICT, is_active=True)
    return (departments.filter(name__contains="市场监督管理局").first() or departments.order_by("sort_order", "code")
            .first())


def _person(admin: User, rng: random.Random, name: str, index: int) -> Person:
    birth = datetime.date(1970 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28))
    number = sample_resident_id(JINGAN, birth, 100 + index, female=name in ("王芳", "李娜", "陈静"))
    try:
        return services.person_by_document("resident_id", number)
    except NotFound:
        return services.person_register(by=admin, name=name, id_number=number, phone=sample_mobile(rng),
                                        link_to_self=False)


def _admin() -> User:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser("admin", email="", password=ACCOUNTS[-1][1])
    return admin


def load(progress: Callable[[int], object], seed: int) -> list[tuple[str, str, str]]:
    """Create the demo accounts (citizen, agent, clerk, reviewer, manager, linfenadmin, admin) if missing and
    return ``(username, password, role)`` for each, for ``demo_data`` to print."""
    result = [(username, password, label) for username, password, label, _n, _r in ACCOUNTS]
    usernames = [a[0] for a in ACCOUNTS]
    if User.objects.filter(username__in=usernames, person__isnull=False).count() == len(ACCOUNTS):
        progress(len(ACCOUNTS))
        return result
    rng = random.Random(seed)
    with transaction.atomic():
        admin = _admin()
        district = _district()
        department = _clerk_department(district)
        linfen = Region.objects.filter(code=LINFEN).first() or district
        for index, (username, password, _label, name, role) in enumerate(ACCOUNTS):
            user = admin if username == "admin" else User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username, password=password, is_staff=role is not None)
            if user.person_id is None:
                user.person = _person(admin, rng, name, index)
                user.save(update_fields=["person"])
            if role is not None and not StaffRole.objects.filter(user=user, role=role, valid=True).exists():
                scoped = role != StaffRoleKind.SYSTEM_ADMIN
                own = (Department.objects.filter(code=f"{LINFEN}-SQSW").first() or department
                       if username == "linfenadmin" else department)
                services.staff_role_grant(by=admin, user=user, role=role,
                                          department=own if scoped else None,
                                          region=district if scoped and department is None else None)
            if username == "manager" and not StaffRole.objects.filter(
                    user=user, role=StaffRoleKind.CENTER_MANAGER, valid=True).exists():
                # 临汾路街道社区事务受理服务中心 (the seed article's community center).
                services.staff_role_grant(by=admin, user=user, role=StaffRoleKind.CENTER_MANAGER, region=linfen)
            if username == "agent":
                _agent_organization(admin, user, district, rng)
            progress(1)
    return result


def _agent_organization(admin: User, agent: User, district: Region, rng: random.Random) -> None:
    org = Organization.objects.filter(name="上海临汾示范商贸有限公司").first()
    if org is None:
        org = services.organization_register(by=admin, credit_code=sample_credit_code(district.code, rng),
                                             name="上海临汾示范商贸有限公司", legal_representative_name="周建国")
    if agent.organization_id != org.pk:
        agent.organization = org
        agent.save(update_fields=["organization"])
    assert agent.person is not None
    if not Mandate.objects.filter(agent=agent.person, principal_organization=org, revoked_at__isnull=True).exists():
        services.mandate_grant(by=admin, agent=agent.person, principal_organization=org)
