"""Masking of personal data for every list, export, log and API response.

Rule (GB/T 35273-2020 个人信息安全规范 §3.14 去标识化 and its masking examples; PIPL art. 51):
show only what a person needs to recognise their own record.
"""

from __future__ import annotations

MASK = "*"


def mask_id_number(value: str | None) -> str:
    """``310101199001011234`` → ``310***********1234``: the first 3 and last 4 characters."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 7:
        return MASK * len(value)
    return value[:3] + MASK * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 7:
        return MASK * len(value)
    return value[:3] + MASK * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``: keep the first character only."""
    if not value:
        return ""
    value = str(value)
    return value[0] + MASK * (len(value) - 1) if len(value) > 1 else value
