"""Which addresses `parity sources` may fetch from: public ones only, unless told otherwise.

A host is resolved once and every address it resolves to is checked: loopback, private, link-local (cloud
metadata services live there: 169.254.169.254), shared (100.64.0.0/10), reserved, unspecified and
multicast addresses are refused, and so is a public IPv6 form that carries one of them (IPv4-mapped, 6to4,
Teredo, NAT64). A name that resolves partly inward is not trusted at all. The fetcher then connects to the
address checked here, never resolving the name again (`fetch.GuardedTransport`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

Address = tuple[str, int]
Resolver = Callable[[str, int], list[Address]]
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Refused though Python may count it global: the IETF's own block, where Oracle Cloud's metadata service
# answers (192.0.0.192).
_INWARD = (ipaddress.ip_network("192.0.0.0/24"),)


class Refused(Exception):
    """The host resolves to an address parity does not fetch from (or does not resolve at all)."""


def system_resolver(host: str, port: int) -> list[Address]:
    """Every address the system's resolver gives for `host`."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(str(info[4][0]), int(info[4][1])) for info in infos]


class Guard:
    """Which addresses may be fetched from: public ones only, unless told otherwise."""

    def __init__(
        self,
        allow_private: bool = False,
        allowed: tuple[str, ...] = (),
        resolver: Resolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.allowed = tuple(ipaddress.ip_network(n) for n in allowed)  # e.g. ("127.0.0.0/8",) in tests
        self.resolver = resolver or system_resolver

    def address(self, host: str, port: int) -> Address:
        """The checked address to connect to for `host`; Refused if any address it resolves to is not
        allowed (a name that points partly inward is not trusted at all)."""
        try:
            found = self.resolver(host, port)
        except (OSError, UnicodeError) as e:
            raise Refused(f"{host} does not resolve: {e}") from None
        if not found:
            raise Refused(f"{host} does not resolve")
        for ip, _ in found:
            if not self.permits(ip):
                kind = _kind(_ip(ip))
                raise Refused(f"{host} resolves to {ip}, a {kind} address; parity fetches public ones only")
        return found[0]

    def permits(self, text: str) -> bool:
        address = _ip(text)
        if self.allow_private or any(address in net for net in self.allowed):
            return True
        return all(_public(a) for a in _embedded(address))


def _ip(text: str) -> _IP:
    return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone id is no part of the address


def _embedded(address: _IP) -> list[_IP]:
    """The address and every IPv4 address it carries (mapped, 6to4, Teredo, NAT64)."""
    out: list[_IP] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        out += [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
        if address.teredo:
            out += list(address.teredo)
        if address in _NAT64:
            out.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return out


def _public(address: _IP) -> bool:
    return address.is_global and not address.is_multicast and not any(address in n for n in _INWARD)


def _kind(address: _IP) -> str:
    for name in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    return "non-public"
