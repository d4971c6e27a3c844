"""Crowd flow (商圈客流, issue #16 parts 2–3): areas split into zones, the sources that report
them, every report with its revisions, the merged per-bucket figures, and density alerts.

A report is one source's counts for one area and one time bucket (idempotent per (source, area,
bucket)); a resend with other counts is a correction: a new :class:`CrowdRevision` is kept and the
area's :class:`CrowdAreaBucket` is recomputed. Counts per zone and origin class: ``present`` (people
in the zone at the bucket's end) and ``arrivals`` (people who entered during the bucket).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..choices import AlertLevel, OriginClass


class Area(models.Model):
    """商圈: a business district shown on the big screen (e.g. 南京西路商圈), split into zones.

    ``bucket_minutes`` is the length of a time bucket (every bucket starts on a multiple of it,
    counted from midnight, Asia/Shanghai); ``stale_minutes`` how long after a bucket's end the
    next one may be missing before a source counts as late (数据延迟); ``redaction_threshold`` the
    FlowKit-style k below which a public screen shows "<k" instead of the number (0: the setting
    BIGSCREEN_REDACTION_THRESHOLD). ``duty_officer`` gets the density alerts (大客流预警).
    """

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    bucket_minutes = models.PositiveSmallIntegerField(_("统计间隔（分钟）"), default=5)
    stale_minutes = models.PositiveSmallIntegerField(_("延迟判定（分钟）"), default=15)
    redaction_threshold = models.PositiveIntegerField(_("小数隐藏阈值"), default=0)
    duty_officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("值班人员"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("商圈")
        verbose_name_plural = _("商圈")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(bucket_minutes__gte=1) & Q(bucket_minutes__lte=60),
                                   name="bigscreen_area_bucket_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """分区: a part of an area with a capacity (people it holds safely). A zone turns amber at
    ``amber_share`` × capacity and red at ``red_share`` × capacity (0: the settings'
    BIGSCREEN_AMBER_SHARE / BIGSCREEN_RED_SHARE). Counts above capacity × 10 are refused as absurd."""

    area = models.ForeignKey(Area, verbose_name=_("商圈"), on_delete=models.CASCADE, related_name="zones")
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    capacity = models.PositiveIntegerField(_("承载量（人）"))
    amber_share = models.FloatField(_("黄色预警比例"), default=0)
    red_share = models.FloatField(_("红色预警比例"), default=0)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("分区")
        verbose_name_plural = _("分区")
        ordering = ["area_id", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["area", "code"], name="bigscreen_zone_code_unique"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="bigscreen_zone_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.name}"


class Source(models.Model):
    """数据源: a sensor gateway or an operator's feed, reporting one area with its own API token
    (accounts.ApiToken, scope ``crowd:ingest``); a token is bound to its source's area and refused
    for any other (``source_wrong_area``). Revoking the token (or deactivating the source) shuts
    it out at once."""

    area = models.ForeignKey(Area, verbose_name=_("商圈"), on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(_("名称"), max_length=80)
    token = models.OneToOneField("accounts.ApiToken", verbose_name=_("访问令牌"), on_delete=models.PROTECT,
                                 related_name="crowd_source")
    is_active = models.BooleanField(_("启用"), default=True)
    last_bucket_start = models.DateTimeField(_("最新时段"), null=True, blank=True)
    last_received_at = models.DateTimeField(_("最近接收"), null=True, blank=True)

    class Meta:
        verbose_name = _("客流数据源")
        verbose_name_plural = _("客流数据源")
        ordering = ["area_id", "name"]

    def __str__(self) -> str:
        return self.name


class CrowdReport(models.Model):
    """One source's report for one area and bucket (idempotent key: source, area, bucket_start).
    ``revision`` counts the corrections; ``digest`` is the SHA-256 of the canonical counts, so an
    identical resend changes nothing."""

    source = models.ForeignKey(Source, verbose_name=_("数据源"), on_delete=models.PROTECT, related_name="reports")
    area = models.ForeignKey(Area, verbose_name=_("商圈"), on_delete=models.CASCADE, related_name="reports")
    bucket_start = models.DateTimeField(_("时段开始"))
    revision = models.PositiveIntegerField(_("版本"), default=1)
    digest = models.CharField(_("内容摘要"), max_length=64)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("客流报送")
        verbose_name_plural = _("客流报送")
        ordering = ["-bucket_start", "source_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "area", "bucket_start"], name="bigscreen_report_unique"),
        ]
        indexes = [models.Index(fields=["area", "bucket_start"], name="bigscreen_report_area_bucket")]

    def __str__(self) -> str:
        return f"{self.source} {self.bucket_start:%Y-%m-%d %H:%M} r{self.revision}"


class CrowdRevision(models.Model):
    """Every version of a report, kept (更正留痕): its counts per zone and origin class (counts sent
    by home-region code are kept after the origin rule summed them into their class), when, and
    through which channel. The current version is also the report's :class:`CrowdCount` rows."""

    report = models.ForeignKey(CrowdReport, verbose_name=_("报送"), on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField(_("版本"))
    counts = models.JSONField(_("数据"))
    digest = models.CharField(_("内容摘要"), max_length=64)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    via = models.CharField(_("渠道"), max_length=10, default="api")  # api | csv | simulator

    class Meta:
        verbose_name = _("报送版本")
        verbose_name_plural = _("报送版本")
        ordering = ["report_id", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["report", "revision"], name="bigscreen_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} r{self.revision}"


class CrowdCount(models.Model):
    """The current counts of a report, per zone and origin class."""

    report = models.ForeignKey(CrowdReport, verbose_name=_("报送"), on_delete=models.CASCADE, related_name="counts")
    zone = models.ForeignKey(Zone, verbose_name=_("分区"), on_delete=models.CASCADE, related_name="+")
    origin = models.CharField(_("来源地类别"), max_length=16, choices=OriginClass.choices)
    present = models.PositiveIntegerField(_("在场人数"))
    arrivals = models.PositiveIntegerField(_("到达人数"))

    class Meta:
        verbose_name = _("客流计数")
        verbose_name_plural = _("客流计数")
        constraints = [
            models.UniqueConstraint(fields=["report", "zone", "origin"], name="bigscreen_count_unique"),
            models.CheckConstraint(condition=Q(origin__in=OriginClass.values), name="bigscreen_count_origin_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.zone_id} {self.origin}"


class CrowdAreaBucket(models.Model):
    """The merged figures of one area and bucket, recomputed from the current reports whenever a
    report of that bucket arrives or is corrected (late data included). Where two sources report
    one zone, the report received last counts for it.

    ``present`` / ``arrivals``: totals; ``by_origin`` {origin: {"present": n, "arrivals": n}};
    ``by_zone`` {zone code: {"present": n, "arrivals": n}}; ``sources``: how many reports.
    """

    area = models.ForeignKey(Area, verbose_name=_("商圈"), on_delete=models.CASCADE, related_name="buckets")
    bucket_start = models.DateTimeField(_("时段开始"))
    present = models.PositiveIntegerField(_("在场人数"), default=0)
    arrivals = models.PositiveIntegerField(_("到达人数"), default=0)
    by_origin = models.JSONField(_("按来源地"), default=dict)
    by_zone = models.JSONField(_("按分区"), default=dict)
    sources = models.PositiveSmallIntegerField(_("报送数"), default=0)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    class Meta:
        verbose_name = _("商圈时段客流")
        verbose_name_plural = _("商圈时段客流")
        ordering = ["area_id", "-bucket_start"]
        constraints = [
            models.UniqueConstraint(fields=["area", "bucket_start"], name="bigscreen_areabucket_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.bucket_start:%Y-%m-%d %H:%M}"


class CrowdAlert(models.Model):
    """大客流预警: a zone above its amber (then red) share of capacity. Opened at the bucket that
    crossed, raised to red in place, closed when the zone falls below the amber share again; the
    duty officer is notified when it opens and when it turns red."""

    area = models.ForeignKey(Area, verbose_name=_("商圈"), on_delete=models.CASCADE, related_name="alerts")
    zone = models.ForeignKey(Zone, verbose_name=_("分区"), on_delete=models.CASCADE, related_name="alerts")
    level = models.CharField(_("级别"), max_length=10, choices=AlertLevel.choices)
    opened_bucket = models.DateTimeField(_("起始时段"))
    opened_at = models.DateTimeField(_("预警时间"), default=timezone.now)
    peak_share = models.FloatField(_("最高占比"), default=0)
    closed_at = models.DateTimeField(pgettext_lazy("crowd alert", "解除时间"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("大客流预警")
        verbose_name_plural = _("大客流预警")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=AlertLevel.values), name="bigscreen_alert_level_valid"),
            models.UniqueConstraint(fields=["zone"], condition=Q(closed_at__isnull=True),
                                    name="bigscreen_alert_one_open_per_zone"),
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.level}"
