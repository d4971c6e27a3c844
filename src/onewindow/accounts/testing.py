"""Test helpers for every app: factories and the standard principals of the authorization matrix.

Registered as a pytest plugin in the project's conftest.py, so any test can use the fixtures:

- ``principals``: a :class:`Principals` with every actor of ARCHITECTURE rule 8 (anonymous,
  citizen, another citizen, enterprise agent, clerk of another department, clerk in scope,
  reviewer, manager, system admin, device token), their scope (``department`` /
  ``other_department``, ``district`` / ``other_district``) and ``principals.client(name)``, a
  Django test client logged in as that actor (the device sends its bearer token).
- ``PRINCIPAL_NAMES``: the names, for ``@pytest.mark.parametrize``.

Identifier generators make *valid* numbers (check characters per GB 11643 / GB 32100 through
python-stdnum), so factories never trip the validators.
"""

from __future__ import annotations

import datetime
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import factory
import pytest
from django.test import Client
from django.utils import timezone

from onewindow.core.models import Department, Region, RegionLevel

from .choices import Gender, IdType, MandateScope, OrganizationKind, StaffRoleKind
from .models import (
    ApiToken,
    Mandate,
    Organization,
    Person,
    StaffRole,
    User,
    format_token,
    hash_token_secret,
    new_token_parts,
)
from .sample_identifiers import sample_credit_code, sample_resident_id

PRINCIPAL_NAMES = [
    "anonymous",
    "citizen",
    "another_citizen",
    "agent",
    "clerk_other_department",
    "clerk",
    "reviewer",
    "manager",
    "admin",
    "device",
]
STAFF_PRINCIPALS = ["clerk_other_department", "clerk", "reviewer", "manager", "admin"]
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test-only password

_sequence = itertools.count(1)


# --------------------------------------------------------------------------- identifiers
def make_resident_id(region_code: str = "310106", birth: datetime.date | None = None,
                     serial: int | None = None, *, female: bool = False) -> str:
    """A valid 18-character resident ID number (GB 11643-1999) with a computed check character."""
    birth = birth or datetime.date(1985, 1, 1) + datetime.timedelta(days=next(_sequence) % 9000)
    serial = serial if serial is not None else next(_sequence) % 500
    return sample_resident_id(region_code, birth, serial, female=female)


def make_credit_code(region_code: str = "310106", kind: str = "91") -> str:
    """A valid unified social credit code (GB 32100-2015): kind + region + org code + check."""
    return sample_credit_code(region_code, random.Random(next(_sequence)), kind)


def make_mobile() -> str:
    return f"139{next(_sequence) % 100_000_000:08d}"


# --------------------------------------------------------------------------- factories
class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"3101{90 + n % 10:02d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = RegionLevel.DISTRICT


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TEST-DEPT-{n:04d}")
    name = factory.Sequence(lambda n: f"测试部门{n}")
    level = RegionLevel.DISTRICT
    region = factory.SubFactory(RegionFactory)


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    name = factory.Iterator(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄晓明"])
    id_type = IdType.RESIDENT_ID
    id_number = factory.LazyFunction(make_resident_id)
    phone = factory.LazyFunction(make_mobile)
    gender = Gender.MALE
    real_name_verified = True
    real_name_verified_at = factory.LazyFunction(timezone.now)

    @factory.lazy_attribute
    def birth_date(self) -> datetime.date | None:
        number: str = self.id_number  # type: ignore[assignment]
        if self.id_type != IdType.RESIDENT_ID:
            return None
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    person = factory.SubFactory(PersonFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ("credit_code",)

    credit_code = factory.LazyFunction(make_credit_code)
    name = factory.Sequence(lambda n: f"上海测试科技有限公司{n}")
    kind = OrganizationKind.ENTERPRISE
    legal_representative_name = "周建国"


class MandateFactory(factory.django.DjangoModelFactory[Mandate]):
    class Meta:
        model = Mandate

    agent = factory.SubFactory(PersonFactory)
    principal_organization = factory.SubFactory(OrganizationFactory)
    principal_person = None
    scope = MandateScope.ALL
    item_codes = factory.LazyFunction(list)
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    valid_to = None


class StaffRoleFactory(factory.django.DjangoModelFactory[StaffRole]):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(UserFactory)
    role = StaffRoleKind.WINDOW_CLERK
    department = factory.SubFactory(DepartmentFactory)
    region = None


def make_api_token(*, name: str = "test token", scopes: list[str] | None = None,
                   owner: User | None = None, system_name: str = "",
                   expires_at: datetime.datetime | None = None) -> tuple[ApiToken, str]:
    """An ApiToken and its clear bearer string (a test shortcut past ``api_token_issue``)."""
    prefix, secret = new_token_parts()
    token = ApiToken.objects.create(
        name=name, owner=owner, system_name=system_name or ("" if owner else "test-system"),
        prefix=prefix, secret_hash=hash_token_secret(secret), scopes=scopes or [], expires_at=expires_at,
    )
    return token, format_token(prefix, secret)


# --------------------------------------------------------------------------- principals
@dataclass
class Principals:
    """The standard actors of the authorization matrix and their scope."""

    city: Region
    district: Region
    other_district: Region
    department: Department
    other_department: Department
    organization: Organization
    users: dict[str, User] = field(default_factory=dict)
    mandate: Mandate | None = None
    device_token: ApiToken | None = None
    device_bearer: str = ""

    def __getattr__(self, name: str) -> User:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def user(self, name: str) -> User | None:
        """The User behind a principal name (None for anonymous and device)."""
        return self.users.get(name)

    def client(self, name: str) -> Client:
        """A test client acting as ``name`` (one of PRINCIPAL_NAMES)."""
        if name == "anonymous":
            return Client()
        if name == "device":
            return Client(headers={"Authorization": f"Bearer {self.device_bearer}"})
        client = Client()
        client.force_login(self.users[name])
        return client


def expire_reauth(client: Client) -> Client:
    """Make a test client's re-authentication stale (accounts.reauth): ``force_login`` counts as
    a fresh authentication for a user without a TOTP device, so tests of the refusal call this."""
    from .reauth import SESSION_KEY

    session = client.session
    session.pop(SESSION_KEY, None)
    session.save()
    return client


def fresh_reauth(client: Client, user: Any) -> Client:
    """Mark a test client's session as just re-authenticated by ``user`` (accounts.reauth), for
    tests of the sensitive operations themselves (unmasking, exports)."""
    from .reauth import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = {"user": str(user.pk), "at": timezone.now().timestamp()}
    session.save()
    return client


def _region(code: str, name: str, level: str, parent: Region | None = None) -> Region:
    region, _ = Region.objects.get_or_create(code=code, defaults={"name": name, "level": level,
                                                                  "parent": parent})
    return region


def build_principals() -> Principals:
    """Create (or reuse) every principal of the matrix; call inside a test with database access."""
    city = _region("310000", "上海市", RegionLevel.CITY)
    district = _region("310106", "静安区", RegionLevel.DISTRICT, city)
    other_district = _region("310104", "徐汇区", RegionLevel.DISTRICT, city)
    department = DepartmentFactory.create(code="TEST-310106-SCJ", name="上海市静安区市场监督管理局",
                                   level=RegionLevel.DISTRICT, region=district)
    other_department = DepartmentFactory.create(code="TEST-310104-SCJ", name="上海市徐汇区市场监督管理局",
                                         level=RegionLevel.DISTRICT, region=other_district)
    organization = OrganizationFactory.create(name="上海静安示例科技有限公司", region=district)
    p = Principals(city=city, district=district, other_district=other_district, department=department,
                   other_department=other_department, organization=organization)
    for name in ("citizen", "another_citizen", "agent"):
        p.users[name] = UserFactory.create(username=f"p_{name}")
    agent = p.users["agent"]
    agent.organization = organization
    agent.save(update_fields=["organization"])
    assert agent.person is not None
    p.mandate = MandateFactory.create(agent=agent.person, principal_organization=organization)
    staff = {
        "clerk_other_department": (StaffRoleKind.WINDOW_CLERK, other_department, None),
        "clerk": (StaffRoleKind.WINDOW_CLERK, department, None),
        "reviewer": (StaffRoleKind.REVIEWER, department, None),
        "manager": (StaffRoleKind.DEPARTMENT_ADMIN, department, None),
        "admin": (StaffRoleKind.SYSTEM_ADMIN, None, None),
    }
    for name, (role, dept, region) in staff.items():
        user = UserFactory.create(username=f"p_{name}", is_staff=name in ("manager", "admin"),
                           is_superuser=name == "admin")
        StaffRoleFactory.create(user=user, role=role, department=dept, region=region)
        p.users[name] = user
    StaffRoleFactory.create(user=p.users["manager"], role=StaffRoleKind.CENTER_MANAGER, department=None,
                     region=district)
    p.device_token, p.device_bearer = make_api_token(name="静安区取号机 01", scopes=["device"],
                                                     system_name="kiosk-310106-01")
    return p


@pytest.fixture
def principals(db: None) -> Principals:
    """Every principal of the authorization matrix (see :class:`Principals`)."""
    return build_principals()
