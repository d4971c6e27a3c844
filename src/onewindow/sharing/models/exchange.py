"""The exchange (交换) and its signed log (交换日志), after Estonia's X-Road.

Rule: every exchange is logged on both sides — consumer and provider — with the purpose, the case
it served (where one exists), the fields answered and a digest of the response; each entry is
signed (Ed25519) by its side's key (per department, or the installation's) and sealed into a
hash chain like the audit trail, with checkpoints, so ``onewindow sharing_verify_log`` detects an
edited, inserted or deleted entry. Across two installations each side keeps its own log and
stores the other side's signed statement of the same exchange (``peer_*``), so either side can
prove the other's entry. Parameters are never stored in clear (they may hold an ID number): only
their digest.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField

from ..choices import ExchangeOutcome, ExchangeRole, Purpose


class PeerInstallation(models.Model):
    """Another installation (or a department's own system) this one exchanges with over HTTP:
    its code, name and exchange base URL. Its public keys are :class:`SigningKey` rows."""

    code = models.CharField(_("平台编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    base_url = models.URLField(_("交换地址"), max_length=300)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("对端平台")
        verbose_name_plural = _("对端平台")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class SigningKey(models.Model):
    """An Ed25519 key of the exchange log (签名密钥), named by ``kid``.

    Own keys (``peer`` empty) belong to a department (``department``) or to the installation
    (both empty) and hold the private key, encrypted at rest (core crypto, key id carried). A
    peer's keys hold only the public key. Retired keys still verify old entries.
    """

    kid = models.CharField(_("密钥标识"), max_length=60, unique=True)
    department = models.ForeignKey("core.Department", verbose_name=_("部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    peer = models.ForeignKey(PeerInstallation, verbose_name=_("对端平台"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="keys")
    public_key = models.CharField(_("公钥（Base64）"), max_length=64)
    private_key = EncryptedTextField(_("私钥（加密）"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        ordering = ["kid"]
        constraints = [
            models.CheckConstraint(condition=Q(peer__isnull=True) | Q(private_key=""),
                                   name="sharing_key_peer_public_only"),
        ]

    def __str__(self) -> str:
        return self.kid


class AppendOnlyError(RuntimeError):
    """An attempt to change or remove an exchange log entry through the ORM."""


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AppendOnlyError("Exchange log entries are append-only.")


class ExchangeLogQuerySet(models.QuerySet["ExchangeLogEntry"]):
    """Refuses bulk update and delete; only the sealing step sets the chain columns."""

    def update(self, **kwargs: Any) -> int:
        _refuse()

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse()

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        _refuse()

    def _seal(self, *, seq: int, prev_hash: str, chain_hash: str) -> int:
        """Set the chain columns of one unsealed entry (used only by the sealing service)."""
        return models.QuerySet.update(self.filter(seq__isnull=True), seq=seq, prev_hash=prev_hash,
                                      chain_hash=chain_hash)

    def _set_peer(self, *, peer_kid: str, peer_signature: str, peer_content_hash: str) -> int:
        """Attach the other side's signed statement once (HTTP exchanges; used only by the exchange)."""
        return models.QuerySet.update(self.filter(peer_signature=""), peer_kid=peer_kid,
                                      peer_signature=peer_signature, peer_content_hash=peer_content_hash)


class ExchangeLogEntry(models.Model):
    """One side's record of one exchange (交换日志条目).

    ``content_hash`` is the SHA-256 of the canonical JSON of the content columns (exchange id,
    role, time, consumer, provider, resource, grant, purpose, case number, fields, params and
    response digests, outcome, error code); ``signature`` is its Ed25519 signature by ``kid``.
    ``seq``/``prev_hash``/``chain_hash`` are set when the entry is sealed into the chain (in id
    order, by the ``sharing.log_seal`` task): ``chain_hash = SHA-256(prev_hash | content_hash |
    signature)``. Append-only: ``save`` of a stored row and queryset update/delete raise.
    """

    exchange_id = models.UUIDField(_("交换编号"), default=uuid.uuid4, db_index=True)
    role = models.CharField(_("本方角色"), max_length=10, choices=ExchangeRole.choices)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    consumer_code = models.CharField(_("使用方"), max_length=80)
    provider_code = models.CharField(_("提供方"), max_length=80)
    resource_code = models.CharField(_("资源编码"), max_length=40, db_index=True)
    resource = models.ForeignKey("sharing.DataResource", verbose_name=_("数据资源"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey("sharing.Grant", verbose_name=_("共享授权"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("共享用途"), max_length=20, choices=Purpose.choices)
    case_number = models.CharField(_("关联办件编号"), max_length=40, blank=True)
    fields = models.JSONField(_("交换数据项"), default=list)
    params_digest = models.CharField(_("查询条件摘要"), max_length=64)
    response_digest = models.CharField(_("响应摘要"), max_length=64, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=ExchangeOutcome.choices)
    error_code = models.CharField(_("错误代码"), max_length=60, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    content_hash = models.CharField(_("内容摘要"), max_length=64)
    kid = models.CharField(_("签名密钥"), max_length=60)
    signature = models.CharField(_("签名（Base64）"), max_length=100)
    peer_kid = models.CharField(_("对端签名密钥"), max_length=60, blank=True)
    peer_signature = models.CharField(_("对端签名"), max_length=100, blank=True)
    peer_content_hash = models.CharField(_("对端内容摘要"), max_length=64, blank=True)
    seq = models.PositiveBigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("前一条链值"), max_length=64, blank=True)
    chain_hash = models.CharField(_("链值"), max_length=64, blank=True)

    objects = ExchangeLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("交换日志")
        verbose_name_plural = _("交换日志")
        ordering = ["id"]
        indexes = [models.Index(fields=["resource_code", "created_at"], name="sharing_log_resource_time")]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=ExchangeRole.values), name="sharing_log_role_valid"),
            models.CheckConstraint(condition=Q(outcome__in=ExchangeOutcome.values), name="sharing_log_outcome_valid"),
            models.UniqueConstraint(fields=["exchange_id", "role"], name="sharing_log_one_entry_per_side"),
        ]

    def __str__(self) -> str:
        return f"{self.exchange_id} {self.role}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        _refuse()


class ExchangeCheckpoint(models.Model):
    """A checkpoint of the exchange log's chain head (seq, chain hash), also appended to a file
    outside the database, so a truncated tail is detected."""

    seq = models.PositiveBigIntegerField(_("链序号"), unique=True)
    chain_hash = models.CharField(_("链值"), max_length=64)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("交换日志检查点")
        verbose_name_plural = _("交换日志检查点")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq}"
