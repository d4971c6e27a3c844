"""The registry's management commands: industries, a file import, generated entities, risk grades."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from onewindow.core.actors import system_actor
from onewindow.market.models import EntityImport, EntityProfile, Industry
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, csv_bytes, entity_row

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_load_industries_is_idempotent(registry_world: RegistryWorld) -> None:
    assert _run("market_load_industries") == "industries: 0 written\n"
    assert Industry.objects.filter(level="section").count() == 20
    assert Industry.objects.filter(level="division").count() == 97
    assert Industry.objects.get(code="6232").parent.code == "623"  # type: ignore[union-attr]


def test_import_command(registry_world: RegistryWorld, tmp_path: Path) -> None:
    path = tmp_path / "entities.csv"
    path.write_bytes(csv_bytes([entity_row(), entity_row(industry_code="0000")], encoding="gbk"))
    out = _run("market_import_entities", str(path), "--quiet", "--no-notify")
    run = EntityImport.objects.get()
    assert out.startswith(f"import #{run.pk} done: 2 rows, 1 created, 0 updated, 0 unchanged, 1 refused in ")
    assert "  line 3 industry_code market_industry_unknown: " in out
    bad = tmp_path / "bad.csv"
    bad.write_bytes("名称\nx\n".encode())
    with pytest.raises(CommandError, match="market_import_columns"):
        _run("market_import_entities", str(bad), "--quiet")


def test_generate_entities(registry_world: RegistryWorld) -> None:
    out = _run("market_generate_entities", "--count", "40", "--quiet")
    assert out.startswith("import #")
    assert " 40 created, 0 unchanged, 0 refused in " in out
    assert EntityProfile.objects.count() == 40
    again = _run("market_generate_entities", "--count", "40", "--quiet")
    assert " 0 created, 40 unchanged, 0 refused in " in again


def test_risk_grades_command(registry_world: RegistryWorld, tmp_path: Path) -> None:
    a, b = entity_row(), entity_row()
    for row in (a, b):
        entity_register(by=system_actor("test"), data=row)
    path = tmp_path / "grades.csv"
    path.write_bytes(("统一社会信用代码,风险分类,分类日期,来源\n"
                      f"{a['credit_code']},c,2024-10-31,上海市市场监督管理局\n"
                      f"{b['credit_code']},E,2024-10-31,上海市市场监督管理局\n").encode("gbk"))
    out = _run("market_import_risk_grades", str(path))
    assert out.splitlines() == ["risk grades: 1 updated, 0 unchanged, 1 refused",
                                "  line 3 grade market_risk_grade_invalid: 风险分类应为 A、B、C 或 D"]
    assert EntityProfile.objects.get(organization__credit_code=a["credit_code"]).risk_grade == "C"
