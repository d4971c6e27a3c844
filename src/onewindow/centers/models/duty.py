"""Window and duty events (窗口开关与在岗签到): the facts behind time on duty.

Rule (issue #14 part 3; seed: 工作人员有效受理时长): a clerk's effective handling time is the time spent
serving tickets as a share of the time on duty. Time on duty runs from the clerk's sign-in at a
window to the sign-out (or the window's close), less the window's pauses. ``window_set_state``
appends ``open`` / ``pause`` / ``resume`` / ``close`` rows; ``clerk_sign_in`` / ``clerk_sign_out``
append ``sign_in`` / ``sign_out`` rows with the clerk. Rows are append-only: analytics reads them
(through ``centers.facts``) by increasing id.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import WindowEventAction
from .center import Center, Window


class WindowEvent(models.Model):
    """One state change of a window, or one sign-in/out of a clerk at it, at ``at``."""

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey(Window, verbose_name=_("窗口"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=WindowEventAction.choices)
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("在岗人员"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("窗口在岗记录")
        verbose_name_plural = _("窗口在岗记录")
        ordering = ["window_id", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=WindowEventAction.values),
                                   name="centers_window_event_action_valid"),
            models.CheckConstraint(condition=~Q(action__in=["sign_in", "sign_out"]) | Q(clerk__isnull=False),
                                   name="centers_window_event_sign_has_clerk"),
        ]
        indexes = [models.Index(fields=["center", "at"], name="centers_window_event_at")]

    def __str__(self) -> str:
        return f"{self.window_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
