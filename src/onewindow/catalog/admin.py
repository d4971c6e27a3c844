"""Admin editing of the catalog. Saving an item goes through the services: adding calls
``item_create`` (version 1), changing calls ``item_revise`` (a new immutable version) and a status
change ``item_suspend`` / ``item_restore`` / ``item_withdraw``, each guarded by ``workflow.py``
(a refusal is the admin's error message); versions are shown read-only, and a withdrawn item is
final, so it is shown but no longer changed. The 事项类型 dictionary is edited through
``item_type_save`` (audited); basic items are read-only here (``item_create`` makes them; what
people apply for lives in the item's versions)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onewindow.core.admin import ReadOnlyAdmin, ServiceAdminMixin
from onewindow.core.errors import DomainError
from onewindow.core.normalize import NfkcCharField, NfkcDecimalField, NfkcIntegerField

from . import services
from .choices import Category, Channel, DayUnit, DepthCode, DepthLevel, HandlingType, ItemStatus, MaterialForm
from .models import BasicItem, ItemType, ItemVersion, ServiceItem

VERSION_FIELDS = [f for f in services.CONTENT_FIELDS if f not in ("change_note",)]
#: What the read-only view of an item shows above its versions.
READ_ONLY_FIELDS = ["code", "basic_item", "name", "department", "region", "level", "status", "sort_order"]


def _materials_text(version: ItemVersion | None) -> str:
    if version is None:
        return ""
    return "\n".join(f"{m.name}|{m.form}|{m.copies}|{'1' if m.required else '0'}|{m.note}"
                     + (f"|{m.shared_resource}" if m.shared_resource else "")
                     for m in version.materials.all())


def _parse_materials(text: str) -> list[dict[str, Any]]:
    rows = []
    for line in (t.strip() for t in text.splitlines()):
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")] + ["", "", "", "", ""]
        copies = int(parts[2]) if parts[2].isdigit() else 1
        rows.append({"name": parts[0], "form": parts[1] or MaterialForm.ORIGINAL, "copies": copies,
                     "required": parts[3] != "0", "note": parts[4], "shared_resource": parts[5]})
    return rows


class ServiceItemForm(forms.ModelForm):  # type: ignore[type-arg]
    """The item's identity plus the content of its next version."""

    basic_code = NfkcCharField(label=_("基本编码"), max_length=12)
    v_name = forms.CharField(label=_("事项名称"), max_length=200)
    v_category = forms.ChoiceField(label=_("事项类别"), choices=Category.choices)
    v_item_type = forms.ModelChoiceField(label=_("事项类型"), queryset=ItemType.objects.all())
    legal_basis = forms.CharField(label=_("设定依据"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    handling_type = forms.ChoiceField(label=_("办件类型"), choices=HandlingType.choices)
    statutory_limit = NfkcIntegerField(label=_("法定办结时限"), required=False)
    statutory_unit = forms.ChoiceField(label=_("法定时限单位"), choices=DayUnit.choices)
    statutory_note = forms.CharField(label=_("法定时限说明"), required=False)
    promised_limit = NfkcIntegerField(label=_("承诺办结时限"), required=False)
    promised_unit = forms.ChoiceField(label=_("承诺时限单位"), choices=DayUnit.choices)
    promised_note = forms.CharField(label=_("承诺时限说明"), required=False)
    fee_free = forms.BooleanField(label=_("不收费"), required=False, initial=True)
    fee_text = forms.CharField(label=_("收费标准"), required=False)
    fee_amount = NfkcDecimalField(label=_("收费金额（元）"), required=False, max_digits=10, decimal_places=2)
    v_depth_level = forms.TypedChoiceField(label=_("网上办理深度"), coerce=int,
                                           choices=DepthLevel.choices)
    depth_codes = forms.MultipleChoiceField(label=_("网上办理深度代码"), choices=DepthCode.choices, required=False,
                                            widget=forms.CheckboxSelectMultiple)
    v_fully_online = forms.BooleanField(label=_("全程网上办理"), required=False)
    channels = forms.MultipleChoiceField(label=_("办理渠道"), choices=Channel.choices,
                                         widget=forms.CheckboxSelectMultiple)
    on_site_visits = NfkcIntegerField(label=_("到现场次数"), min_value=0, max_value=9, initial=1)
    on_site_reason = forms.CharField(label=_("需到现场办理的环节"), required=False)
    form_schema = forms.JSONField(label=_("网上申请表（JSON Schema）"), required=False, initial=dict)
    materials_text = forms.CharField(label=_("申请材料"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
                                     help_text=_("每行一项：名称|形式(original/copy/both/electronic)|份数|必需(1/0)|备注|"
                                                 "可证明该材料的共享数据资源编码（可免交，可不填）"))
    v_status = forms.ChoiceField(label=_("状态"), choices=ItemStatus.choices, initial=ItemStatus.ACTIVE)
    status_reason = forms.CharField(label=_("状态变更原因"), required=False)
    change_note = forms.CharField(label=_("修订说明"), required=False)

    class Meta:
        model = ServiceItem
        fields = ["code", "department", "region", "level", "sort_order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        v = self.instance.current_version if self.instance.pk else None
        if v is not None:
            for name in ("code", "department", "region", "level", "basic_code"):
                if name in self.fields:  # a read-only view (a withdrawn item) has no form fields
                    self.fields[name].disabled = True
            self.initial.update({
                "basic_code": self.instance.basic_item.code, "v_name": v.name, "v_category": v.category,
                "v_item_type": v.item_type_id, "v_depth_level": v.depth_level, "v_fully_online": v.fully_online,
                "depth_codes": [c for c in v.depth_codes.split("^") if c], "channels": v.channel_list,
                "materials_text": _materials_text(v), "v_status": v.status, "status_reason": v.status_reason,
                **{f: getattr(v, f) for f in VERSION_FIELDS
                   if f not in ("name", "category", "item_type", "depth_level", "fully_online", "depth_codes",
                                "channels", "valid_from")},
            })

    def content(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"name": d["v_name"], "category": d["v_category"], "item_type": d["v_item_type"],
                "legal_basis": d["legal_basis"], "handling_type": d["handling_type"],
                "statutory_limit": d["statutory_limit"], "statutory_unit": d["statutory_unit"],
                "statutory_note": d["statutory_note"], "promised_limit": d["promised_limit"],
                "promised_unit": d["promised_unit"], "promised_note": d["promised_note"],
                "fee_free": d["fee_free"], "fee_text": d["fee_text"], "fee_amount": d["fee_amount"],
                "depth_level": d["v_depth_level"], "depth_codes": d["depth_codes"],
                "fully_online": d["v_fully_online"], "channels": d["channels"],
                "on_site_visits": d["on_site_visits"], "on_site_reason": d["on_site_reason"],
                "form_schema": d["form_schema"] or {}, "change_note": d["change_note"]}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            services.clean_content(self.content())
            services.clean_materials(_parse_materials(data.get("materials_text", "")))
        except DomainError as exc:
            for field, msgs in exc.fields.items():
                target = {"name": "v_name", "category": "v_category", "item_type": "v_item_type",
                          "depth_level": "v_depth_level", "fully_online": "v_fully_online"}.get(field, field)
                if target.startswith("materials"):
                    target = "materials_text"
                self.add_error(target if target in self.fields else None, [str(m) for m in msgs])
            if not exc.fields:
                self.add_error(None, str(exc.message))
        return data


class VersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ItemVersion
    fields = ("number", "name", "status", "status_reason", "valid_from", "change_note", "created_at", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceItem)
class ServiceItemAdmin(ServiceAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    form = ServiceItemForm
    list_display = ["name", "code", "department", "level", "category", "status", "fully_online"]
    list_filter = ["level", "category", "status", "fully_online", "item_type"]
    search_fields = ["name", "code", "name_initials"]
    list_select_related = ["department"]
    raw_id_fields = ["department", "region"]
    inlines = [VersionInline]
    show_full_result_count = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # items are withdrawn (a version), never deleted: cases pin their versions

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A withdrawn item is final (workflow.py): shown with its versions, never changed again.
        if obj is not None and obj.status == ItemStatus.WITHDRAWN:
            return False
        return super().has_change_permission(request, obj)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return READ_ONLY_FIELDS  # the version fields of the form live in the versions below
        return super().get_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: ServiceItem, form: Any, change: bool) -> None:
        """A refusal of any step rolls the whole save back (ServiceAdminMixin): a revision is never
        kept while its status change was refused."""
        d = form.cleaned_data
        materials = _parse_materials(d.get("materials_text", ""))
        if not change:
            created = services.item_create(by=request.user, code=d["code"], basic_code=d["basic_code"],
                                           department=d["department"], region=d["region"], level=d["level"],
                                           materials=materials, sort_order=d.get("sort_order") or 1000,
                                           **form.content())
            obj.pk = created.pk
            obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
            return
        current = obj.current_version
        assert current is not None
        try:
            services.item_revise(by=request.user, item=obj, materials=materials, **form.content())
        except DomainError as exc:
            if exc.code != "catalog.no_change":
                raise
        status, reason = d["v_status"], d.get("status_reason") or ""
        if status != current.status:
            action = {ItemStatus.SUSPENDED: services.item_suspend, ItemStatus.ACTIVE: services.item_restore,
                      ItemStatus.WITHDRAWN: services.item_withdraw}[ItemStatus(status)]
            action(by=request.user, item=obj, reason=reason)


@admin.register(ItemType)
class ItemTypeAdmin(ServiceAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "is_power", "is_confirmed", "sort_order"]
    list_editable = ["name", "is_confirmed", "sort_order"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # items refer to their type

    def save_model(self, request: HttpRequest, obj: ItemType, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in services.ITEM_TYPE_FIELDS
                  if name in form.cleaned_data and (not change or name in form.changed_data)}
        saved = services.item_type_save(by=request.user, item_type_id=obj.pk if change else None, **values)
        obj.pk, obj._state.adding = saved.pk, False


@admin.register(BasicItem)
class BasicItemAdmin(ReadOnlyAdmin):  # type: ignore[type-arg]
    """Read-only: a basic item (基本目录) is made by ``item_create`` with its first implementation
    item, and what an item says changes through the item's versions (``item_revise``)."""

    list_display = ["code", "name", "item_type", "category"]
    search_fields = ["code", "name"]
    list_filter = ["category", "item_type"]
