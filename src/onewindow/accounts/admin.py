"""Admin for parties, logins, roles and tokens.

Personal data is shown masked; the full ID number and phone appear only on the "查看完整信息"
page, which goes through the audited selector (ARCHITECTURE rule 6). Writes with rules
(granting roles, issuing tokens) go through the services, never straight to the model.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onewindow.core import crypto
from onewindow.core.admin import ReadOnlyAdmin, ServiceAdminMixin
from onewindow.core.errors import DomainError
from onewindow.core.request_context import current_request

from . import selectors, services
from .choices import PurposeKind
from .models import ApiToken, Mandate, Organization, Person, StaffRole, User
from .reauth import ReauthAdminMixin, ReauthRequired, reauth_is_fresh, reauth_url, require_reauth
from .tokens import tokens_expiring
from .unmask import is_machine_request


class ServiceForm(forms.ModelForm):
    """An add form whose ``clean`` runs the service (set ``service``): a refusal becomes a form
    error on the field it names, and nothing is written; on success ``self.created`` holds the
    result and the admin's ``save_model`` only adopts it."""

    created: Any = None
    request_user: Any = None

    def call_service(self, data: dict[str, Any]) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.created = self.call_service(data)
        except DomainError as exc:
            fields = {name: [str(m) for m in msgs] for name, msgs in exc.fields.items() if name in self.fields}
            if fields:
                for name, msgs in fields.items():
                    for msg in msgs:
                        self.add_error(name, msg)
            else:
                raise ValidationError(str(exc.message), code=exc.code) from None
        return data


class PersonChangeList(ChangeList):
    def url_for_result(self, result: Any) -> str:
        return reverse("admin:accounts_person_change", args=[result.ref], current_app=self.model_admin.admin_site.name)


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["ref", "masked_name", "id_type", "masked_id_number", "masked_phone", "real_name_verified",
                    "created_at"]
    list_filter = ["id_type", "real_name_verified"]
    search_fields = ["=id_number_hash"]
    search_help_text = _("输入完整证件号码精确查询")
    readonly_fields = ("masked_name", "id_type", "masked_id_number", "masked_phone", "birth_date", "gender",
                       "real_name_verified", "real_name_verified_at", "created_at", "created_by", "unmask_link")
    fields = readonly_fields

    @admin.display(description=_("姓名"))
    def masked_name(self, obj: Person) -> str:
        return obj.name_masked

    @admin.display(description=_("证件号码"))
    def masked_id_number(self, obj: Person) -> str:
        return obj.id_number_masked

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj: Person) -> str:
        return obj.phone_masked

    @admin.display(description=_("完整信息"))
    def unmask_link(self, obj: Person) -> str:
        url = reverse("admin:accounts_person_unmask", args=[obj.ref])
        return format_html('<a href="{}">{}</a>', url, _("查看完整信息（将记入审计日志）"))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Person | None:
        """Admin URLs name a person by the public reference, never by the sequential id."""
        return self.get_queryset(request).filter(ref=str(object_id)[:24]).first()

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> Any:
        return PersonChangeList

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Person],
                           search_term: str) -> tuple[QuerySet[Person], bool]:
        term = search_term.strip().upper()
        if not term:
            return queryset, False
        return queryset.filter(id_number_hash__in=crypto.keyed_hash_candidates(term)), False

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.unmask_view)
        return [path("<str:ref>/unmask/", view, name="accounts_person_unmask"), *super().get_urls()]

    def unmask_view(self, request: HttpRequest, ref: str) -> HttpResponse:
        """The full record, under the same scope, re-authentication and limits as the API: a system
        admin is not a case handler and sees it only when in scope (decision 0007)."""
        try:
            person = selectors.person_detail_for(request.user, ref, unmask=True,
                                                 machine=is_machine_request(request),
                                                 confirm=lambda: require_reauth(request))
        except ReauthRequired:
            return redirect(reauth_url(request))
        except DomainError as exc:
            return render(request, "admin/accounts/person_unmask.html",
                          {**self.admin_site.each_context(request), "error": exc, "title": _("完整信息")},
                          status=exc.status)
        return render(request, "admin/accounts/person_unmask.html",
                      {**self.admin_site.each_context(request), "person": person, "title": _("完整信息"),
                       "purpose_label": PurposeKind(person.purpose_kind).label if person.purpose_kind else ""})


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["credit_code", "name", "kind", "legal_representative_name", "region"]
    list_filter = ["kind"]
    search_fields = ["credit_code", "name"]


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdmin):
    list_display = ["id", "agent", "principal_person", "principal_organization", "scope", "valid_from", "valid_to",
                    "revoked_at"]
    list_filter = ["scope"]
    list_select_related = ["agent", "principal_person", "principal_organization"]


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    fk_name = "user"
    readonly_fields = ("role", "department", "region", "valid", "granted_at", "revoked_at", "revoked_reason")
    fields = readonly_fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's 修改密码 form: the password is set through ``user_set_password`` (audited)."""

    def save(self, commit: bool = True) -> Any:
        request = current_request.get()
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data.get("password1") if usable else None
        by = getattr(request, "user", None) or AnonymousUser()
        self.user = services.user_set_password(by=by, user_id=self.user.pk, password=password)
        return self.user


@admin.register(User)
class OneWindowUserAdmin(ReauthAdminMixin, ServiceAdminMixin, UserAdmin):
    """Creating a login and changing one (superuser, staff, groups, password) are key operations:
    fresh re-authentication (reauth.py), and they go through ``user_create`` / ``user_update`` /
    ``user_set_password`` (audited, issue #10). Logins are never deleted (set 有效 off)."""

    reauth_change = True
    change_password_form = AuditedPasswordChangeForm

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        fields = services.USER_FIELDS
        if change:
            services.user_update(by=request.user, user_id=obj.pk,
                                 **{n: form.cleaned_data[n] for n in form.changed_data if n in fields})
            return
        usable = form.cleaned_data.get("usable_password", "true") not in (False, "false")
        created = services.user_create(by=request.user, username=form.cleaned_data["username"],
                                       password=form.cleaned_data.get("password1") if usable else None,
                                       **{n: form.cleaned_data[n] for n in fields
                                          if n in form.cleaned_data and n != "username"})
        obj.pk, obj.password, obj._state.adding = created.pk, created.password, False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        m2m = {n: list(form.cleaned_data[n]) for n in ("groups", "user_permissions") if n in form.changed_data}
        if m2m:
            services.user_update(by=request.user, user_id=form.instance.pk, **m2m)
        for formset in formsets:  # the staff-role inline is read-only: nothing to save
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if not reauth_is_fresh(request):
            return redirect(reauth_url(request))
        return super().user_change_password(request, id, form_url)
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("当事人"), {"fields": ("person", "organization")}))
    raw_id_fields = ["person", "organization"]
    inlines = [StaffRoleInline]


class StaffRoleForm(ServiceForm):
    class Meta:
        model = StaffRole
        fields = ["user", "role", "department", "region"]

    def call_service(self, data: dict[str, Any]) -> StaffRole:
        return services.staff_role_grant(by=self.request_user, user=data["user"], role=data["role"],
                                         department=data.get("department"), region=data.get("region"))


@admin.register(StaffRole)
class StaffRoleAdmin(ReauthAdminMixin, admin.ModelAdmin):
    """Roles are granted through ``staff_role_grant`` and revoked through ``staff_role_revoke``;
    both are key operations (fresh re-authentication, reauth.py)."""

    reauth_actions = ("revoke_selected",)

    list_display = ["user", "role", "department", "region", "valid", "granted_at", "revoked_at"]
    list_filter = ["role", "valid"]
    fields = ["user", "role", "department", "region"]
    raw_id_fields = ["user"]
    actions = ["revoke_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    form = StaffRoleForm

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        setattr(form_class, "request_user", request.user)  # noqa: B010 - the service's actor
        return form_class

    def save_model(self, request: HttpRequest, obj: StaffRole, form: Any, change: bool) -> None:
        obj.pk = form.created.pk
        obj.granted_at = form.created.granted_at

    @admin.action(description=_("撤销所选角色"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[StaffRole]) -> None:
        for role in queryset.filter(valid=True):
            try:
                services.staff_role_revoke(by=request.user, staff_role=role, reason=str(_("管理后台撤销")))
            except DomainError as exc:
                self.message_user(request, f"{role}: {exc.message}", messages.ERROR)


class ApiTokenForm(ServiceForm):
    scopes = forms.CharField(label=_("权限范围"), help_text=_("以逗号分隔，如 catalog:read, device"))

    class Meta:
        model = ApiToken
        fields = ["name", "owner", "system_name", "scopes", "expires_at"]

    def call_service(self, data: dict[str, Any]) -> tuple[ApiToken, str]:
        scopes = [s.strip() for s in str(data.get("scopes", "")).split(",") if s.strip()]
        return services.api_token_issue(by=self.request_user, name=data["name"], scopes=scopes,
                                        owner=data.get("owner"), system_name=data.get("system_name", ""),
                                        expires_at=data.get("expires_at"))


class ExpiringSoonFilter(admin.SimpleListFilter):
    """Valid tokens expiring within 30 days (renew hall devices before they go dark)."""

    title = _("有效期")
    parameter_name = "expiring"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("30", _("30 天内到期"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        if self.value() == "30":
            return queryset.filter(pk__in=tokens_expiring(30).values("pk"))
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ReauthAdminMixin, admin.ModelAdmin):
    """Tokens are issued through ``api_token_issue``: the full token is shown once, in a message.
    Issuing and revoking are key operations (fresh re-authentication, reauth.py); every token
    expires (tokens.py), and the list shows the soonest expiry first among valid tokens."""

    reauth_actions = ("revoke_selected",)

    list_display = ["name", "prefix", "owner", "system_name", "scopes", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [ExpiringSoonFilter]
    fields = ["name", "owner", "system_name", "scopes", "expires_at"]
    raw_id_fields = ["owner"]
    actions = ["revoke_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    form = ApiTokenForm

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        setattr(form_class, "request_user", request.user)  # noqa: B010 - the service's actor
        return form_class

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        token, bearer = form.created
        obj.pk, obj.prefix, obj.created_at = token.pk, token.prefix, token.created_at
        messages.warning(request, _("令牌仅显示这一次，请立即妥善保存：%(token)s") % {"token": bearer})

    @admin.action(description=_("撤销所选令牌"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            services.api_token_revoke(by=request.user, token=token, reason=str(_("管理后台撤销")))


# ---- third-party admins: read-only here (issue #10: the admin is never a back door) -----------

class ReadOnlyThirdPartyMixin:
    """Read-only, without actions: the rows of these apps are written by their own flows."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


def _read_only(model: Any, reason: str) -> None:
    base = type(admin.site._registry[model]) if admin.site.is_registered(model) else admin.ModelAdmin
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(f"ReadOnly{base.__name__}", (ReadOnlyThirdPartyMixin, base), {"__doc__": reason}))


def _read_only_third_party() -> None:
    import axes.admin  # noqa: F401 - registered before they are replaced
    import django_otp.plugins.otp_static.admin
    import django_otp.plugins.otp_totp.admin  # noqa: F401
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _read_only(Group, "Django groups are not how OneWindow grants rights: staff roles (StaffRole) are.")
    second_factor = "Second factors are enrolled after an audited grant (accounts.otp, decision 0009)."
    _read_only(TOTPDevice, second_factor)
    _read_only(StaticDevice, second_factor)
    lockout = "Login lockouts and their logs are security records (axes); a lockout lapses after its cool-off."
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        _read_only(model, lockout)


_read_only_third_party()
