"""The client address that django-axes counts failed sign-ins against.

Each reverse proxy appends to X-Forwarded-For the address its connection came from (nginx:
`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`). Behind N such proxies
(PRECEPT_PROXY_COUNT, from DJANGO_PROXY_COUNT) the header's last N entries were written by
them, and the first of those, N from the right, is the client's address. Everything to its
left came from the client and is never believed; REMOTE_ADDR is the proxy nearest to us.

django-ipware is not given the raw header: its `proxy_count` expects the proxies' own
addresses after the client's (`<client>, <proxy1>, ...`), which nginx does not write. Given
the nginx header with proxy_count=1 it answers the entry the client wrote, and nothing for
a client that wrote none (tests/test_lockout_proxy.py pins this). Its non-strict mode reads
a quote in the client's part as opening a string that swallows the entry nginx appended.
So django-ipware sees only the N trusted entries, strictly, and checks and normalises them.
"""

import ipaddress
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from ipware.ip import get_client_ip


def client_ip_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address whose failures count together."""
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.PRECEPT_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded.strip():
        # No proxy: the header is whatever the client typed. Through a proxy without it:
        # the request did not come the way it should (a health check on the loopback).
        return remote_addr
    # Split on every comma, quotes or not: nginx writes bare addresses, and the entries
    # to the left of the last N are the client's to forge.
    trusted_part = [entry.strip() for entry in forwarded.split(",")][-proxies:]
    if len(trusted_part) < proxies:
        # Fewer entries than proxies: one of them does not append. The proxies' own
        # address is then the only one that cannot be forged.
        return remote_addr
    if settings.PRECEPT_TRUSTED_PROXIES and not all(
        _is_trusted_proxy(address) for address in [remote_addr, *trusted_part[1:]]
    ):
        # Not through our proxies (say, straight to an app server's port): the header
        # is the client's own.
        return remote_addr
    client, _routable = get_client_ip(
        SimpleNamespace(META={"HTTP_X_FORWARDED_FOR": ", ".join(trusted_part)}),
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=True,
        algorithm="modern",
    )
    return client or remote_addr


def _is_trusted_proxy(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in trusted_proxy_networks())


def trusted_proxy_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """PRECEPT_TRUSTED_PROXIES (DJANGO_TRUSTED_PROXIES) as networks; a bare address is /32."""
    try:
        return [
            ipaddress.ip_network(entry.strip(), strict=False)
            for entry in settings.PRECEPT_TRUSTED_PROXIES
        ]
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DJANGO_TRUSTED_PROXIES: {exc} (expected addresses or networks, comma-separated)"
        ) from exc
