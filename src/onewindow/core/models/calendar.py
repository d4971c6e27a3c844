"""The admin-editable working-day table (工作日历) that overrides the packaged holiday calendar."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """One day whose working status is set by hand (工作日历调整).

    Rule: time limits of administrative licensing are counted in working days, excluding
    statutory holidays (行政许可法 art. 82). The holiday and adjusted-workday (调休) calendar
    comes from the ``chinese_calendar`` package for the years it covers; a row here overrides it
    (e.g. a late State Council notice) and is the only source for years the package does not
    cover, where every other day is a working day unless it falls on a weekend.
    Actor: a system administrator in the Django admin.
    """

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("如：国庆节、国庆节调休上班"))
    note = models.CharField(_("备注"), max_length=200, blank=True,
                            help_text=_("依据，如国务院办公厅关于部分节假日安排的通知"))

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose holiday notice has been entered completely (节假日安排已录入).

    Rule: a working-day limit that runs into a year the packaged ``chinese_calendar`` does not
    cover counts that year's weekdays as working days until the State Council's notice
    (国务院办公厅关于某年部分节假日安排的通知) is entered as :class:`CalendarDay` rows; such a
    clock is *provisional* (期限暂定) and flagged to staff and applicant. One holiday row does not
    make a year complete (the notice lists several holidays and adjusted workdays), so an
    administrator confirms the year explicitly with this row, citing the notice.
    Actor: a system administrator, through ``core.services.calendar_year_confirm`` (audited).
    """

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    note = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("如：国办发明电〔2026〕号通知"))
    created_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("节假日安排已录入年度")
        verbose_name_plural = _("节假日安排已录入年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
