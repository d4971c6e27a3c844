"""Shapes of the big-data display API (issue #16): the crowd ingest's bodies and answers.

The ingest bodies are parsed loosely here (a count is an object) and checked by the ingest service
(services/ingest.py), so the API, the batch, the CSV backfill and the simulator refuse the same
input with the same codes and the same field names (``counts[1].present``).
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from onewindow.core.schemas import PageOut

COUNT_DOC = ('计数：{"zone": 分区代码, "origin": "local"|"domestic"|"international" 或 "region": 来源地代码'
             '（GB/T 2260 省级代码如 31，或 ISO 3166-1 如 HK、US）, "present": 时段末在场人数, '
             '"arrivals": 时段内到达人数}')


class CrowdReportIn(Schema):
    """One source's counts for one area and one time bucket."""

    area: Any = Field(..., description="商圈代码，如 nanjingxilu（须为令牌所属商圈）")
    bucket_start: Any = Field(..., description="时段开始，ISO 8601，如 2026-03-02T12:55:00+08:00（按上海时间对齐）")
    counts: Any = Field(..., description=COUNT_DOC)


class CrowdBatchIn(Schema):
    reports: Any = Field(..., description="至多 500 份报送，全部接收或全部拒绝")


class CrowdIngestOut(Schema):
    area: str
    bucket_start: str
    revision: int
    status: str = Field(..., description="created | unchanged | corrected")


class CrowdBatchOut(Schema):
    """The batch's answer: one result per report, in the order sent (``reports``, not ``items``:
    ``items`` is the page shape's key, decision 0013)."""

    reports: list[CrowdIngestOut]
    created: int
    unchanged: int
    corrected: int


class CrowdBackfillOut(Schema):
    rows: int
    reports: int
    created: int
    unchanged: int
    corrected: int


class CrowdRevisionOut(Schema):
    source: str
    source_id: int
    revision: int
    current: bool
    received_at: str
    via: str
    digest: str
    counts: list[dict[str, Any]]


class CrowdRevisionPageOut(PageOut):
    items: list[CrowdRevisionOut]
