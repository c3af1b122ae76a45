"""The trusted user header (TRUSTED_PROXY_HEADER, e.g. ``X-Remote-User``): honoured only from the proxy.

A municipality's SSO in front of the app (Apache ``mod_auth_openidc``, oauth2-proxy, Shibboleth) may name the
logged-in user in a header. Anyone else who reaches the app's port could send the same header, so it counts only
when the request also shows that it came through the proxy:

* it carries the proxy's shared secret (TRUSTED_PROXY_SECRET, at least MIN_SECRET characters) in the header
  TRUSTED_PROXY_SECRET_HEADER (default ``X-Portal-Proxy-Secret``), compared in constant time; or
* its socket peer (the address that connected to the app: ``REMOTE_ADDR`` as the server set it, the original one
  when werkzeug's ProxyFix has rewritten it from ``X-Forwarded-For``, which anyone can send) is in
  TRUSTED_PROXIES: addresses and networks (``127.0.0.1, 10.1.2.0/24, ::1``), and ``unix`` for a gunicorn
  listening on a Unix socket (whose peer has no address).

With the header on and neither set, the app refuses to start (:func:`check_config` raises
:class:`portal.exceptions.ConfigError`). A request that names a user but fails the check is treated as anyone
else's, and a warning is logged. See docs/production.md.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app, request

from portal.exceptions import ConfigError

SECRET_HEADER = "X-Portal-Proxy-Secret"  # noqa: S105 - the name of the header that carries the secret
MIN_SECRET = 16
UNIX = "unix"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _entries(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    items: Iterable[Any] = value.replace(",", " ").split() if isinstance(value, str) else value
    return tuple(str(item).strip() for item in items if str(item).strip())


@functools.lru_cache(maxsize=16)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network | str, ...]:
    """TRUSTED_PROXIES parsed: networks (an address is a network of one) and ``unix``; a ValueError names a bad
    entry."""
    out: list[Network | str] = []
    for entry in entries:
        if entry.lower() == UNIX:
            out.append(UNIX)
            continue
        try:
            out.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"'{entry}' in PORTAL_TRUSTED_PROXIES is not an IP address, a network such as "
                             "10.1.2.0/24, or 'unix'") from None
    return tuple(out)


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse settings under which anyone could name the user: the header on without a secret or proxies, a
    short secret, a bad proxy address."""
    header = str(config.get("TRUSTED_PROXY_HEADER") or "").strip()
    secret = str(config.get("TRUSTED_PROXY_SECRET") or "")
    secret_header = str(config.get("TRUSTED_PROXY_SECRET_HEADER") or SECRET_HEADER)
    try:
        proxies = trusted_networks(_entries(config.get("TRUSTED_PROXIES")))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if not header:
        return
    if not secret and not proxies:
        raise ConfigError(
            f"PORTAL_TRUSTED_PROXY_HEADER is set ({header}), so the app would let anyone who reaches its port "
            f"log in as any user by sending that header. Set PORTAL_TRUSTED_PROXY_SECRET (a long random value "
            f"that the proxy sends in the {secret_header} header) or PORTAL_TRUSTED_PROXIES (the proxy's "
            "addresses), or unset PORTAL_TRUSTED_PROXY_HEADER. See docs/production.md.")
    if secret and len(secret) < MIN_SECRET:
        raise ConfigError(f"PORTAL_TRUSTED_PROXY_SECRET must be at least {MIN_SECRET} characters (e.g. "
                          "`openssl rand -hex 32`)")
    if secret and secret_header.lower() == header.lower():
        raise ConfigError("PORTAL_TRUSTED_PROXY_SECRET_HEADER must differ from PORTAL_TRUSTED_PROXY_HEADER")


def peer_address() -> str:
    """The address of the socket peer: REMOTE_ADDR as the server set it, before any ProxyFix rewrote it."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return str(original.get("REMOTE_ADDR", request.environ.get("REMOTE_ADDR")) or "")


def _peer_trusted(proxies: tuple[Network | str, ...]) -> bool:
    peer = peer_address()
    if not peer:
        return UNIX in proxies
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(not isinstance(net, str) and address in net for net in proxies)


def from_proxy(config: Mapping[str, Any]) -> bool:
    """True when this request carries the proxy's secret or comes from a trusted proxy's address."""
    secret = str(config.get("TRUSTED_PROXY_SECRET") or "")
    if secret:
        sent = request.headers.get(str(config.get("TRUSTED_PROXY_SECRET_HEADER") or SECRET_HEADER), "")
        if hmac.compare_digest(sent.encode("utf-8"), secret.encode("utf-8")):
            return True
    try:
        proxies = trusted_networks(_entries(config.get("TRUSTED_PROXIES")))
    except ValueError:
        return False
    return bool(proxies) and _peer_trusted(proxies)


def proxy_user_name() -> str | None:
    """The user the trusted header names, when it is on, present and came from the proxy; else None."""
    config = current_app.config
    header = str(config.get("TRUSTED_PROXY_HEADER") or "").strip()
    if not header:
        return None
    name = request.headers.get(header, "").strip()
    if not name:
        return None
    if from_proxy(config):
        return name
    current_app.logger.warning(
        "ignored the %s header (naming %r) of a request from %s to %s: it carries no valid proxy secret and its "
        "peer is not in PORTAL_TRUSTED_PROXIES", header, name[:100], peer_address() or "a Unix socket",
        request.path)
    return None
