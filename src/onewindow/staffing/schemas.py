"""Schemas of the staffing API (/api/v1/staffing/, issue #15): what a client sends and receives.

Numbers go through ``core.normalize`` (a full-width ``１２`` is 12); free text refuses control
characters (``has_invalid_characters``), so a bad value is a 422 with the field named, never a
500 (issue #15 "Bad input"). Times of day are ``HH:MM`` wall-clock times of the center.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.utils.translation import gettext
from ninja import Schema
from pydantic import AfterValidator, Field, field_validator

from onewindow.core.normalize import NfkcFloat, NfkcInt, has_invalid_characters

MAX_ID = 2**63 - 1
#: The years a staffing date may fall in (rosters, leave, reports): beyond them a date is a typing
#: slip, and date arithmetic near year 1 or 9999 would overflow.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def in_range(value: datetime.date) -> datetime.date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        years = {"first": FIRST_YEAR, "last": LAST_YEAR}
        raise ValueError(gettext("日期须在 %(first)s 年至 %(last)s 年之间。") % years)
    return value


Day = Annotated[datetime.date, AfterValidator(in_range)]


def _clean(value: str) -> str:
    if has_invalid_characters(value):
        raise ValueError(gettext("含有无法识别的字符。"))
    return value.strip()


# --- inputs -----------------------------------------------------------------------------------------

class ProposalIn(Schema):
    center_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    week_start: Day


class OverrideIn(Schema):
    date: Day
    slot: NfkcInt = Field(..., ge=0, le=47)
    windows: NfkcInt = Field(..., ge=0, le=99)


class WhatIfIn(Schema):
    overrides: list[OverrideIn] = Field(..., min_length=1, max_length=200)


class AssignmentIn(Schema):
    window_id: NfkcInt = Field(..., ge=1, le=MAX_ID)
    starts: datetime.time
    ends: datetime.time
    category_ids: list[NfkcInt] = Field(default_factory=list, max_length=50)


class ShiftIn(Schema):
    user_id: NfkcInt = Field(..., ge=1, le=MAX_ID)
    date: Day
    starts: datetime.time
    ends: datetime.time
    break_starts: datetime.time | None = None
    break_ends: datetime.time | None = None
    assignments: list[AssignmentIn] = Field(default_factory=list, max_length=20)


class RosterIn(Schema):
    center_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    week_start: Day
    proposal_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)


class PolicyIn(Schema):
    center_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    target_kind: str = Field(..., max_length=16)
    target_share: NfkcFloat = Field(..., gt=0, lt=1)
    target_minutes: NfkcInt = Field(..., ge=1, le=240)
    shrinkage: NfkcFloat = Field(..., ge=0, lt=0.6)
    shift_min_minutes: NfkcInt = Field(..., ge=30, le=720)
    shift_max_minutes: NfkcInt = Field(..., ge=30, le=720)
    break_after_minutes: NfkcInt = Field(..., ge=30, le=720)
    break_minutes: NfkcInt = Field(..., ge=0, le=240)


class TermsIn(Schema):
    center_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    user_id: NfkcInt = Field(..., ge=1, le=MAX_ID)
    part_time: bool = False
    max_minutes_per_day: NfkcInt = Field(..., ge=30, le=720)
    max_days_per_week: NfkcInt = Field(..., ge=1, le=7)


class LeaveIn(Schema):
    center_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    user_id: NfkcInt = Field(..., ge=1, le=MAX_ID)
    starts: Day
    ends: Day
    kind: str = Field("annual", max_length=10)
    note: str = Field("", max_length=200)

    @field_validator("note", "kind")
    @classmethod
    def _no_control(cls, value: str) -> str:
        return _clean(value)


# --- outputs ----------------------------------------------------------------------------------------

class SlotFlagOut(Schema):
    """One open slot of the day: ``need`` windows (for the current slot corrected by the live
    queue; ``forecast`` before that), ``open`` windows and their ids, ``queue`` people waiting now
    and their ``expected_wait`` in minutes (current slot only), the flag, and ``note`` why the need
    is unknown when it is."""

    slot: int
    label: str
    need: int | None
    forecast: int | None
    open: int
    open_window_ids: list[int]
    queue: int | None
    expected_wait: float | None
    current: bool
    flag: str
    flag_label: str
    note: str


class FlagsOut(Schema):
    center_id: int
    day: datetime.date
    slots: list[SlotFlagOut]


class AdviceOut(Schema):
    id: int
    date: datetime.date
    slot: int
    slot_label: str
    flag: str
    flag_label: str
    kind: str
    kind_label: str
    window_id: int
    window_number: int
    categories: list[int]
    until: datetime.time | None
    status: str
    status_label: str
    text: str
    reason: dict[str, Any]


class ProposalOut(Schema):
    id: int
    center_id: int
    week_start: datetime.date
    created_at: datetime.datetime
    policy: dict[str, Any]
    needs: Any
    comparison: Any
    overrides: Any
    roster_ids: list[int]


class ProposalBriefOut(Schema):
    id: int
    center_id: int
    week_start: datetime.date
    created_at: datetime.datetime


class AssignmentOut(Schema):
    id: int
    window_id: int
    window_number: int
    starts: datetime.time
    ends: datetime.time
    category_ids: list[int]


class ShiftOut(Schema):
    id: int
    roster_id: int
    user_id: int
    name: str
    date: datetime.date
    starts: datetime.time
    ends: datetime.time
    break_starts: datetime.time | None
    break_ends: datetime.time | None
    assignments: list[AssignmentOut]


class RosterBriefOut(Schema):
    id: int
    center_id: int
    week_start: datetime.date
    status: str
    status_label: str
    source: str
    proposal_id: int | None


class RosterOut(RosterBriefOut):
    shifts: list[ShiftOut]


class MyShiftOut(ShiftOut):
    center_id: int
    roster_status: str


class PolicyOut(Schema):
    center_id: int
    target_kind: str
    target_share: float
    target_minutes: int
    shrinkage: float
    shift_min_minutes: int
    shift_max_minutes: int
    break_after_minutes: int
    break_minutes: int


class TermsOut(Schema):
    user_id: int
    part_time: bool
    max_minutes_per_day: int
    max_days_per_week: int


class ClerkOut(TermsOut):
    """A clerk who may be rostered: terms, and the categories they may serve (served in the last
    12 months or trained on)."""

    name: str
    qualified: list[int]


class LeaveOut(Schema):
    id: int
    user_id: int
    starts: datetime.date
    ends: datetime.date
    kind: str
    kind_label: str
    note: str


class ReportOut(Schema):
    center_id: int
    week_start: datetime.date
    data: Any
