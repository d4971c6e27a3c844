"""The consumer side of the peer tests: another installation's resource catalogued here (adapter
http), the peer installation and its public key, and the grant it issued, registered here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from onewindow.accounts.testing import DepartmentFactory
from onewindow.core.models import Department
from onewindow.sharing import signing
from onewindow.sharing.choices import AdapterKind, Purpose, ResourceKind
from onewindow.sharing.models import DataResource, Grant, PeerInstallation, SigningKey
from onewindow.sharing.services.remote_grants import grant_register_remote
from onewindow.sharing.testing import SharingWorld, make_resource

PEER_CODE = "OW-PEER"
PEER_DEPARTMENT = "PEER-310101-FGJ"
REMOTE_CODE = f"{PEER_DEPARTMENT}-0001"
REMOTE_TOKEN = "ow_0123456789ab_remote-secret-issued-by-the-peer"
#: 房屋登记信息: a key, two plain fields and a personal one.
HOUSE_FIELDS: list[dict[str, Any]] = [
    {"name": "cert_no", "label": "不动产权证号", "type": "string", "personal": False, "key": True},
    {"name": "district", "label": "所在区", "type": "string", "personal": False, "key": False},
    {"name": "registered", "label": "是否已登记", "type": "boolean", "personal": False, "key": False},
    {"name": "owner_name", "label": "权利人", "type": "string", "personal": True, "key": False},
]
GRANTED = ["cert_no", "district", "registered"]
HOUSE_ROW = {"cert_no": "沪(2026)黄字不动产权第000123号", "district": "黄浦区", "registered": True,
             "owner_name": "李*"}


@dataclass
class RemoteSetup:
    world: SharingWorld
    peer: PeerInstallation
    peer_department: Department
    private_key: str
    kid: str
    resource: DataResource
    grant: Grant

    @property
    def consumer_code(self) -> str:
        from onewindow.sharing.services.keys import party_code

        return party_code(self.world.consumer)


def remote_setup(world: SharingWorld, *, base_url: str, endpoint: str, fields: list[str] | None = None,
                 peer_code: str = PEER_CODE, remote_token: str = REMOTE_TOKEN) -> RemoteSetup:
    """Catalogue the peer's 房屋登记信息 here, import the peer's key, register its grant."""
    department = DepartmentFactory.create(code=PEER_DEPARTMENT, name="上海市黄浦区房屋管理局")
    private, public = signing.new_key_pair()
    peer = PeerInstallation.objects.create(code=peer_code, name="黄浦区共享平台", base_url=base_url)
    kid = f"{peer_code}-{PEER_DEPARTMENT}-1"
    SigningKey.objects.create(kid=kid, peer=peer, public_key=public)
    resource = make_resource(department, fields=HOUSE_FIELDS, name="房屋登记信息", kind=ResourceKind.DATASET,
                             adapter=AdapterKind.HTTP, endpoint=endpoint, remote_code=REMOTE_CODE, code=REMOTE_CODE)
    today = timezone.localdate()
    grant = grant_register_remote(
        by=world.consumer_admin, resource=resource, consumer_department=world.consumer,
        purpose=Purpose.CASE_HANDLING, fields=list(fields or GRANTED), valid_from=today - datetime.timedelta(days=1),
        valid_to=today + datetime.timedelta(days=365), rate_per_minute=600, remote_token=remote_token)
    return RemoteSetup(world=world, peer=peer, peer_department=department, private_key=private, kid=kid,
                       resource=resource, grant=grant)
