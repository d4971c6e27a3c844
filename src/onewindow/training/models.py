"""Training of a center's clerks (培训管理, issue #14 part 5): courses on items of the center,
their sessions (时间、地点、讲师) and each invited clerk's attendance, which is the clerk's
training record (培训记录). A session moves through ``workflow.TRANSITIONS``; each move is a
``SessionEvent`` row and an audit entry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import AttendanceStatus, CourseBasis, SessionAction, SessionStatus


class Course(models.Model):
    """培训课程: one item or a group of items of the center."""

    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE,
                               related_name="training_courses")
    title = models.CharField(_("课程名称"), max_length=120)
    items = models.ManyToManyField("catalog.ServiceItem", verbose_name=_("培训事项"), related_name="+")
    basis = models.CharField(_("依据"), max_length=10, choices=CourseBasis.choices, default=CourseBasis.MANUAL)
    is_key = models.BooleanField(_("重点培训"), default=False)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(basis__in=CourseBasis.values),
                                              name="training_course_basis_valid")]

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    """One sitting of a course: when, where, who teaches; planned, held, recorded or cancelled."""

    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.CASCADE, related_name="sessions")
    center = models.ForeignKey("centers.Center", verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=120)
    trainer = models.CharField(_("讲师"), max_length=60)
    status = models.CharField(_("状态"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.PLANNED)
    reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("培训场次")
        verbose_name_plural = _("培训场次")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["center", "starts_at"], name="training_session_center")]
        constraints = [models.CheckConstraint(condition=Q(status__in=SessionStatus.values),
                                              name="training_session_status_valid"),
                       models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                              name="training_session_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.course_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Attendance(models.Model):
    """One clerk invited to one session, and whether they came (the clerk's 培训记录)."""

    session = models.ForeignKey(TrainingSession, verbose_name=_("场次"), on_delete=models.CASCADE,
                                related_name="attendances")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.PROTECT,
                              related_name="training_attendances")
    status = models.CharField(_("出勤"), max_length=10, choices=AttendanceStatus.choices,
                              default=AttendanceStatus.INVITED)

    class Meta:
        verbose_name = _("培训出勤")
        verbose_name_plural = _("培训出勤")
        constraints = [models.UniqueConstraint(fields=["session", "clerk"], name="training_attendance_once"),
                       models.CheckConstraint(condition=Q(status__in=AttendanceStatus.values),
                                              name="training_attendance_status_valid")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.clerk_id} {self.status}"


class SessionEvent(models.Model):
    """One move of a session (append-only)."""

    session = models.ForeignKey(TrainingSession, verbose_name=_("场次"), on_delete=models.CASCADE,
                                related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=SessionAction.choices)
    from_status = models.CharField(_("原状态"), max_length=10, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作人名称"), max_length=100, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("场次事件")
        verbose_name_plural = _("场次事件")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.session_id} {self.action}"
