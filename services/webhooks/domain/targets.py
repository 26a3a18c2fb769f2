"""Which URLs a webhook may deliver to (plain Python).

Deliveries go out from inside the platform: a URL naming an internal address (loopback, private networks, link-local
such as a cloud metadata endpoint) would let a subscriber probe them. Only HTTPS to public addresses is allowed,
unless the operator allows private targets (`ECOC_WEBHOOK_PRIVATE_TARGETS`, e.g. a receiver in the same network)
or the system runs in local mode, where plain HTTP to any address is accepted for development and tests.
"""
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL = 2000


def url_errors(url, allow_insecure):
    """Problems of a webhook URL as given (no name lookup), each naming the field `url`."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        return [{"field": "url", "message": f"an absolute https URL of at most {MAX_URL} characters"}]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return [{"field": "url", "message": "not a URL"}]
    schemes = ("https", "http") if allow_insecure else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        return [{"field": "url", "message": "an absolute https URL" + (" (or http in local mode)"
                                                                        if allow_insecure else "")}]
    if parts.username or parts.password:
        return [{"field": "url", "message": "no credentials in the URL; deliveries are signed instead"}]
    if parts.fragment:
        return [{"field": "url", "message": "no #fragment"}]
    if not allow_insecure and _literal_private(parts.hostname):
        return [{"field": "url", "message": "a public address (private, loopback and link-local are refused)"}]
    return []


def _literal_private(host):
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")


def refused_address(url, allow_private, resolve=socket.getaddrinfo):
    """Why a delivery to `url` must not go out now (its host resolves to a non-public address), or None."""
    if allow_private:
        return None
    host = urlsplit(url).hostname
    try:
        addresses = {info[4][0] for info in resolve(host, None)}
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    private = sorted(a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_global)
    return f"{host} resolves to a non-public address ({private[0]})" if private else None
