"""The audit trail (审计日志): an append-only, hash-chained record of every write.

Rule (ARCHITECTURE rule 3 and data-model decision 9; 网络安全法 art. 21(3): keep network logs
for at least six months; 个人信息保护法 art. 51): every write by a user or a system actor leaves
an entry that can be neither changed nor removed unnoticed. Entries are inserted unsealed (no
lock shared by all writers); the ``audit_seal`` task links them into a hash chain in id order
(SHA-256, or SM3 for 密评 GB/T 39786-2021: each entry names the hash of its link, ``hash_alg``)
and writes checkpoints of the chain head into :class:`AuditCheckpoint` and into a file outside
the database, so ``onewindow audit_verify`` detects an edited, inserted or deleted entry and a
truncated tail.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

SHA256, SM3 = "sha256", "sm3"
CHAIN_HASHES = (SHA256, SM3)


def chain_digest(algorithm: str, data: bytes) -> str:
    """Hex digest of ``data`` under a chain algorithm (SM3 through cryptography's OpenSSL)."""
    if algorithm == SHA256:
        return hashlib.sha256(data).hexdigest()
    if algorithm == SM3:
        from cryptography.hazmat.primitives import hashes

        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return digest.finalize().hex()
    raise ValueError(f"unknown audit chain hash {algorithm!r}")


class AppendOnlyError(RuntimeError):
    """An attempt to change or remove an audit entry through the ORM."""


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AppendOnlyError("Audit entries are append-only: they cannot be updated or deleted.")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Refuses bulk update and delete; only the sealing step may set the chain columns."""

    def update(self, **kwargs: Any) -> int:
        _refuse()

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse()

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        _refuse()

    def _seal(self, *, seq: int, prev_hash: str, hash: str, hash_alg: str) -> int:
        """Set the chain columns of one unsealed entry (used only by ``audit.audit_seal_pending``)."""
        unsealed = self.filter(seq__isnull=True)
        return models.QuerySet.update(unsealed, seq=seq, prev_hash=prev_hash, hash=hash, hash_alg=hash_alg)


class ActorKind(models.TextChoices):
    USER = "user", _("用户")
    SYSTEM = "system", _("系统")
    DEVICE = "device", _("设备")
    ANONYMOUS = "anonymous", _("匿名")


class AuditEntry(models.Model):
    """One audited action (审计记录): who did what to which record, when, from where.

    Written only by ``onewindow.core.audit.audit_record`` from services (no signals); personal
    data in ``before``/``after`` is masked by the caller. Append-only: ``save`` of an existing
    row, ``delete`` and queryset ``update``/``delete`` raise :class:`AppendOnlyError`.
    """

    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor_kind = models.CharField(_("操作者类型"), max_length=10, choices=ActorKind.choices)
    actor_id = models.CharField(_("操作者编号"), max_length=64, blank=True)
    actor_label = models.CharField(_("操作者"), max_length=150, blank=True)
    role = models.CharField(_("角色"), max_length=50, blank=True)
    action = models.CharField(_("操作代码"), max_length=100, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_label = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    channel = models.CharField(_("渠道"), max_length=20, default="web")
    seq = models.PositiveBigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("前序哈希"), max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64, blank=True)
    # Empty on entries sealed before algorithms were named: those are SHA-256.
    hash_alg = models.CharField(_("哈希算法"), max_length=10, blank=True, default="")

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="core_audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def canonical(self) -> bytes:
        """The bytes that the chain hashes: every recorded column except the chain's own."""
        body = {
            "id": self.pk,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_kind": self.actor_kind,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "role": self.role,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_label": self.target_label,
            "before": self.before,
            "after": self.after,
            "ip": self.ip or "",
            "request_id": self.request_id,
            "channel": self.channel,
            "seq": self.seq,
        }
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def chain_hash(self, prev_hash: str, algorithm: str = "") -> str:
        """The hash (``algorithm``, else the entry's own ``hash_alg``, else SHA-256) of the previous
        entry's hash followed by this entry's canonical JSON."""
        return chain_digest(algorithm or self.hash_alg or SHA256, prev_hash.encode() + self.canonical())


class AuditChainHead(models.Model):
    """The head of the audit chain (审计链头): a single row locked while entries are sealed.

    Sealing runs in id order under this row's lock, so writers of audit entries never wait for
    each other; only the sealing task serialises.
    """

    last_seq = models.PositiveBigIntegerField(_("最后链序号"), default=0)
    last_entry_id = models.PositiveBigIntegerField(_("最后记录编号"), default=0)
    hash = models.CharField(_("链头哈希"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"seq {self.last_seq}"


class AuditCheckpoint(models.Model):
    """A checkpoint of the audit chain head (审计检查点): sequence, entry id, hash and time.

    Also appended to a file outside the database (``ONEWINDOW_AUDIT_CHECKPOINT_DIR``), so that
    removing the newest entries together with their checkpoint rows is still detected.
    """

    created_at = models.DateTimeField(_("时间"))
    last_seq = models.PositiveBigIntegerField(_("链序号"))
    last_entry_id = models.PositiveBigIntegerField(_("记录编号"))
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["-last_seq"]

    def __str__(self) -> str:
        return f"seq {self.last_seq} {self.hash[:12]}"
