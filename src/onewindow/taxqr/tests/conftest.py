"""Fixtures of the taxqr tests: keys in a temporary key dir, a tax bureau and its clerks."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import User
from onewindow.accounts.testing import DepartmentFactory, Principals, StaffRoleFactory, UserFactory
from onewindow.core.models import RegionLevel
from onewindow.taxqr import keystore, samples, services
from onewindow.taxqr.models import TaxBureau

NOW = timezone.make_aware(datetime.datetime(2017, 7, 25, 10, 0))


@pytest.fixture
def taxkeys(settings: Any, tmp_path: Any) -> None:
    settings.TAXQR_KEY_DIR = tmp_path / "keys"
    settings.TAXQR_ROLE = "both"
    settings.TAXQR_ARCHIVE_ROOT = tmp_path / "archive"  # archived files of one test stay in its tmp_path
    keystore.generate()


@dataclass
class TaxWorld:
    principals: Principals
    bureau: TaxBureau
    other_bureau: TaxBureau
    tax_clerk: User
    tax_reviewer: User
    other_tax_clerk: User


@pytest.fixture
def world(principals: Principals, taxkeys: None) -> TaxWorld:
    dept = DepartmentFactory.create(code="310106-SW", name="国家税务总局上海市静安区税务局", short_name="静安区税务局",
                                    level=RegionLevel.DISTRICT, region=principals.district)
    other = DepartmentFactory.create(code="310104-SW", name="国家税务总局上海市徐汇区税务局", short_name="徐汇区税务局",
                                     level=RegionLevel.DISTRICT, region=principals.other_district)
    bureau = TaxBureau.objects.create(department=dept, short_code="JA")
    other_bureau = TaxBureau.objects.create(department=other, short_code="XH")
    users = {}
    for name, role, department in (("tax_clerk", StaffRoleKind.WINDOW_CLERK, dept),
                                   ("tax_reviewer", StaffRoleKind.REVIEWER, dept),
                                   ("other_tax_clerk", StaffRoleKind.WINDOW_CLERK, other)):
        user = UserFactory.create(username=f"p_{name}")
        StaffRoleFactory.create(user=user, role=role, department=department)
        users[name] = user
    return TaxWorld(principals, bureau, other_bureau, **users)


def sample(seed: int = 1, cert_no: int | None = None, **kwargs: Any) -> dict[str, Any]:
    """A valid sample record (plain dict) with its own certificate number."""
    tx = samples.transaction(seed, **kwargs)
    tx.property.certificate_no = f"沪(2010)静字不动产权第{cert_no if cert_no is not None else seed:06d}号"
    return tx.to_dict()


def codes_for(seed: int = 1, now: datetime.datetime = NOW, **kwargs: Any) -> list[str]:
    """Code texts of a valid sample transaction, made through the taxpayer-side services."""
    owner = UserFactory.create(username=f"owner{seed}")
    draft = services.draft_save(by=owner, data=sample(seed, **kwargs))
    return list(services.draft_generate_code(by=owner, draft_id=draft.pk, now=now).draft.codes)


