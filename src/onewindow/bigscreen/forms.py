"""Forms of the operator's page (issue #16 part 5): they parse what was typed; the services
(bigscreen/services/screens.py) validate and refuse with stable codes."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

from .choices import Panel, ScreenLayout, Severity

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class EmergencyForm(forms.Form):
    """紧急通告: the text over every screen, its English version, severity and an optional end."""

    text = forms.CharField(label=_("通告内容"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2, "maxlength": 200}))
    text_en = forms.CharField(label=_("英文内容"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}))
    severity = forms.ChoiceField(label=_("级别"), choices=Severity.choices, initial=Severity.WARNING)
    ends_at = forms.DateTimeField(label=_("结束时间（可不填）"), required=False, input_formats=DATETIME_FORMATS,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class PanelsField(forms.MultipleChoiceField):
    """Checkboxes of the panels; an unknown code is refused by the service (``bigscreen_panel_unknown``)."""

    def valid_value(self, value: Any) -> bool:
        return True


class ScreenForm(forms.Form):
    """A big screen's settings: name, layout, area of its crowd panels, panels and rotation."""

    name = forms.CharField(label=_("名称"), required=False, max_length=200)
    layout = forms.ChoiceField(label=_("分辨率"), choices=ScreenLayout.choices)
    area = forms.ChoiceField(label=_("商圈"), required=False, choices=[])
    panels = PanelsField(label=_("轮播面板（按顺序）"), required=False, choices=Panel.choices,
                                       widget=forms.CheckboxSelectMultiple)
    rotate_seconds = forms.CharField(label=_("轮播间隔（秒）"), required=False, max_length=12)

    def __init__(self, *args: Any, areas: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ChoiceField)
        area.choices = [("", _("（不显示客流）")), *(areas or [])]


def parsed(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned values, or a 422 refusal naming the fields (never a 500)."""
    if not form.is_valid():
        raise DomainError(_("提交的数据有误，请检查标出的字段。"), code="bigscreen_invalid", status=422,
                          fields={name: [str(e) for e in errors] for name, errors in form.errors.items()})
    values = dict(form.cleaned_data)
    ends = values.get("ends_at")
    if isinstance(ends, datetime.datetime) and timezone.is_naive(ends):
        values["ends_at"] = timezone.make_aware(ends)
    return values
