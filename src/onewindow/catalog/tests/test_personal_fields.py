"""Personal fields of an application form's JSON Schema (issue #9 point 3): the marks the catalog
accepts, what each field is read as, and how values are masked."""

from __future__ import annotations

from onewindow.catalog.demo import _Builder
from onewindow.catalog.personal_fields import marking_problems, mask_value, personal_fields
from onewindow.catalog.services import validate_form_schema

SCHEMA = {"type": "object", "properties": {
    "applicant_name": {"type": "string", "title": "申请人", "x-personal": "name"},
    "id_number": {"type": "string", "title": "身份证号码", "format": "cn-resident-id"},
    "contact_phone": {"type": "string", "title": "联系电话", "format": "cn-mobile"},
    "home": {"type": "string", "title": "住址", "x-personal": "address"},
    "note": {"type": "string", "title": "备注", "x-personal": True},
    "switchboard": {"type": "string", "title": "单位总机电话", "x-personal": False},
    "description": {"type": "string", "title": "申请事项说明"},
    "count": {"type": "integer", "title": "数量"}}}


def test_marked_fields_are_accepted_and_read_with_their_kind() -> None:
    assert validate_form_schema(SCHEMA) == SCHEMA
    assert marking_problems(SCHEMA) == []
    assert personal_fields(SCHEMA) == {"applicant_name": "name", "id_number": "id-number", "contact_phone": "phone",
                                       "home": "address", "note": "other"}


def test_a_schema_published_before_the_marks_is_read_by_its_field_names() -> None:
    legacy = {"type": "object", "properties": {
        "applicant_name": {"type": "string", "title": "申请人（单位）名称"},
        "id_number": {"type": "string", "title": "身份证号码"},
        "contact_phone": {"type": "string", "title": "联系电话"},
        "description": {"type": "string", "title": "申请事项说明"}}}
    assert personal_fields(legacy) == {"applicant_name": "name", "id_number": "id-number", "contact_phone": "phone"}
    assert marking_problems(legacy) == [("id_number", "unmarked_personal_field"),
                                        ("contact_phone", "unmarked_personal_field")]


def test_masks_are_deterministic_per_kind() -> None:
    assert [mask_value(k, v) for k, v in (("name", "欧阳娜娜"), ("id-number", "310106198501300611"),
                                          ("phone", "13800138000"), ("address", "上海市静安区临汾路380号"),
                                          ("other", "某某"), ("phone", ""))] == [
        "欧***", "310***********0611", "138****8000", "上海市静安区*******", "**", ""]


def test_every_demo_form_marks_its_personal_fields() -> None:
    import random

    builder = _Builder(random.Random(1), {"01": None, "20": None})  # type: ignore[dict-item]
    for personal in (True, False):
        schema = builder._content("测试事项", "01", "approval", "", True, personal, "district")["form_schema"]
        assert marking_problems(schema) == []
        assert validate_form_schema(schema) == schema
        expected = {"applicant_name": "name", "contact_phone": "phone"}
        assert personal_fields(schema) == ({**expected, "id_number": "id-number"} if personal else expected)
