"""The client's address behind the load balancer (客户端地址): one helper for every caller.

Rule (issue #9 point 4; GB/T 22239-2019 等保2.0 三级 安全审计 — the audit records the source
address — and 身份鉴别 — login failures are limited per client; OWASP ASVS 5.0 V16, V13):
``X-Forwarded-For`` is believed only when the connecting peer (``REMOTE_ADDR``) is one of
``TRUSTED_PROXIES``. The header is walked from the right (the hop nearest to us first), skipping
trusted proxies; the first address that is not a trusted proxy is the client. Anything in the
header that is not a plain IPv4/IPv6 address stops the walk, and the last good hop is the answer,
so a forged or garbled header can never hand a client somebody else's address.

The login lock-out (``AXES_CLIENT_IP_CALLABLE``), every throttle keyed by address and the audit
trail's ``ip`` column read :func:`client_ip`; nothing else reads ``REMOTE_ADDR``.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 20  # a longer header is not walked further (a flood of fake hops costs nothing)


def parse_address(text: str) -> IPAddress | None:
    """A plain IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4), or None for anything else."""
    text = text.strip()
    if not text or len(text) > 45 or not text.isascii():
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return None
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


@functools.cache
def _networks(spec: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in spec:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES entry {entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)."
            ) from exc
    return tuple(networks)


def trusted_networks(spec: Iterable[str] | None = None) -> tuple[IPNetwork, ...]:
    """The parsed ``TRUSTED_PROXIES`` (addresses or CIDR networks)."""
    if spec is None:
        spec = getattr(settings, "TRUSTED_PROXIES", ())
    return _networks(tuple(spec))


def _trusted(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address for lock-outs, throttles and the audit; ``""`` if there is none.

    Walks ``X-Forwarded-For`` from the right only while each hop is a trusted proxy; see the
    module docstring for the rule.
    """
    peer = parse_address(str(request.META.get("REMOTE_ADDR") or ""))
    if peer is None:
        return ""
    networks = trusted_networks()
    if not networks or not _trusted(peer, networks):
        return str(peer)
    header = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    client = peer
    for hop in reversed(header.split(",")[-MAX_HOPS:]):
        address = parse_address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
