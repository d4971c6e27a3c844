from .access import AccessEvent, AccessRequest, Grant
from .bulk import BulkDrop, DatasetRow
from .catalogue import DataResource, ResourceVersion
from .exchange import ExchangeCheckpoint, ExchangeLogEntry, PeerInstallation, SigningKey

__all__ = [
    "AccessEvent", "AccessRequest", "BulkDrop", "DataResource", "DatasetRow", "ExchangeCheckpoint",
    "ExchangeLogEntry", "Grant", "PeerInstallation", "ResourceVersion", "SigningKey",
]
