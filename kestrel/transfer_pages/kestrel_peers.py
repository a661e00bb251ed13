"""Other Kestrels: their addresses and the public keys they publish for their schools.

An address is another installation's SITE_URL: https only (plain http to this machine alone, for
development and tests), no credentials or query. A school's keys are asked of its own Kestrel at
`<address>/transfers/keys/<urn>/`, never following a redirect, and must name that school at that
address: this is the trust the route rests on (kestrel.transfer_pages.delivery).

An address is public: every address its name resolves to must be on the internet (no loopback,
private, link-local, multicast, reserved or unspecified range, IPv4 or IPv6), and the connection
goes to the address that was checked, so a name that resolves differently a moment later (DNS
rebinding) cannot point it inside the network. TRANSFER_PEERS_ALLOW_PRIVATE (for development and
the tests, whose Kestrels run on 127.0.0.1) allows them, and plain http to this machine.
"""

import http.client
import ipaddress
import json
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit

from django.conf import settings

from kestrel.schools.models import School
from kestrel.transfer_pages import crypto

# The largest answer read from another Kestrel (keys, an inbox's reply), or receipt taken.
SMALL_MAX_BYTES = 64 * 1024
KEYS_TIMEOUT = 10  # seconds, for each step of asking another Kestrel for a school's keys
LOOPBACK = {"localhost"}
URN_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class DeliveryFailed(Exception):
    """The file could not be sent; the message says why, for the DSL."""


class Unreachable(DeliveryFailed):
    """The other Kestrel did not answer at all (down, or restarting): asking again later may
    work, unlike an address that is refused or an answer that is wrong."""


class Refused(Exception):
    """A package or receipt this Kestrel refuses: the HTTP status, a short code for the audit
    trail and a plain reason for the sender."""

    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


def allow_private() -> bool:
    return bool(getattr(settings, "TRANSFER_PEERS_ALLOW_PRIVATE", False))


def _loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(host: str, port: int) -> list[str]:
    """Every IP address `host` resolves to (tests substitute their own resolver)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in found))


def is_public_ip(text: str) -> bool:
    """Whether an IP address is on the internet: not loopback, private, link-local, multicast,
    reserved or unspecified (an IPv4 address inside IPv6 is judged as itself)."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and not is_public_ip(str(inner)):
            return False
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _refused_host(address: str) -> DeliveryFailed:
    return DeliveryFailed(
        f"The Kestrel address {address} is inside a private network, not on the internet: "
        "another school's Kestrel is never asked there."
    )


def public_ip(address: str) -> str:
    """The IP address to connect to for `address` (checked by checked_address): its name's, once
    every address it resolves to is public (or private ones are allowed). DeliveryFailed
    otherwise."""
    parts = urlsplit(address)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError):
        raise DeliveryFailed(f"The Kestrel at {address} could not be found ({host}).") from None
    if not found:
        raise DeliveryFailed(f"The Kestrel at {address} could not be found ({host}).")
    if not allow_private() and not all(is_public_ip(ip) for ip in found):
        raise _refused_host(address)
    return found[0]


def _normal(value: str) -> tuple[str, str, str]:
    """(scheme, host[:port], path) of an address, compared without case or a trailing slash."""
    try:
        parts = urlsplit((value or "").strip())
        port = parts.port
    except ValueError:
        raise DeliveryFailed(f"“{value}” is not a web address.") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or parts.query or parts.fragment:
        raise DeliveryFailed(f"“{value}” is not the address of a Kestrel (like https://…).")
    shown = f"[{host}]" if ":" in host else host
    return parts.scheme.lower(), f"{shown}:{port}" if port else shown, parts.path.rstrip("/")


def checked_address(value: str) -> str:
    """Another Kestrel's address (its SITE_URL) as compared and used here: https (http only to
    this machine), no query, no credentials, no trailing slash. DeliveryFailed otherwise."""
    scheme, netloc, path = _normal(value)
    host = urlsplit(f"{scheme}://{netloc}").hostname or ""
    if scheme != "https" and not (scheme == "http" and _loopback(host) and allow_private()):
        raise DeliveryFailed(
            f"The Kestrel address “{value}” must start with https:// (a child's file is never "
            "sent over an unencrypted connection)."
        )
    literal = host in LOOPBACK
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        pass
    if literal and not allow_private() and (host in LOOPBACK or not is_public_ip(host)):
        raise _refused_host(value)
    return f"{scheme}://{netloc}{path}"


def own_address() -> str:
    return settings.SITE_URL.rstrip("/")


def same_address(one: str, other: str) -> bool:
    try:
        return _normal(one) == _normal(other)
    except DeliveryFailed:
        return False


def is_here(address: str) -> bool:
    """Whether `address` is this installation's own."""
    return same_address(address, own_address())


def checked_urn(urn) -> str:
    if not isinstance(urn, str) or not 1 <= len(urn) <= 8 or not set(urn) <= URN_CHARACTERS:
        raise DeliveryFailed("A school's URN is up to 8 letters and digits.")
    return urn


def school_here(urn: str) -> School | None:
    """The school of this installation with `urn` (never one of two that share it)."""
    if not urn:
        return None
    schools = list(School.objects.filter(urn=urn)[:2])
    return schools[0] if len(schools) == 1 else None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A Kestrel answers at its own address: a redirect elsewhere is refused, not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the IP address already checked, whatever the name resolves to now."""

    def __init__(self, host, *, ip: str, **kwargs):
        super().__init__(host, **kwargs)
        self.ip = ip

    def connect(self):
        self.sock = socket.create_connection((self.ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """As _PinnedHTTP, over TLS: the certificate is still checked against the name."""

    def __init__(self, host, *, ip: str, **kwargs):
        super().__init__(host, **kwargs)
        self.ip = ip

    def connect(self):
        sock = socket.create_connection((self.ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def tls_context() -> ssl.SSLContext:
    """The TLS settings for another Kestrel: the system's trusted authorities, the certificate
    checked against the address's name (tests substitute their own authority)."""
    return ssl.create_default_context()


class _Pinned(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    def __init__(self, ip: str):
        urllib.request.HTTPHandler.__init__(self)
        urllib.request.HTTPSHandler.__init__(self, context=tls_context())
        self.ip = ip

    def http_open(self, req):
        return self.do_open(_PinnedHTTP, req, ip=self.ip)

    def https_open(self, req):
        return self.do_open(_PinnedHTTPS, req, ip=self.ip, context=self._context)


def _open(asked: urllib.request.Request, timeout: int):
    """Opens a request to another Kestrel: at the public IP address checked for its address, no
    proxy, no redirect followed."""
    ip = public_ip(f"{asked.type}://{asked.host}")
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        _Pinned(ip),
        _NoRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener.open(asked, timeout=timeout)


def answer_text(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(600).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text[:300] or f"HTTP {error.code}"


def fetch_keys(address: str, urn: str) -> crypto.PublicKeys:
    """The public keys the Kestrel at `address` publishes for its school `urn`; DeliveryFailed
    with the reason if it cannot be asked or its answer is not that school's keys."""
    address, urn = checked_address(address), checked_urn(urn)
    # checked_address allows https (or http to this machine) only: no file: or other schemes.
    asked = urllib.request.Request(  # noqa: S310
        f"{address}/transfers/keys/{quote(urn)}/",
        headers={"Accept": "application/json", "User-Agent": "Kestrel"},
    )
    try:
        with _open(asked, KEYS_TIMEOUT) as reply:
            raw = reply.read(SMALL_MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise DeliveryFailed(
                f"The Kestrel at {address} has no school with URN {urn}."
            ) from None
        raise DeliveryFailed(
            f"The Kestrel at {address} did not give its school's keys ({answer_text(error)})."
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise Unreachable(f"The Kestrel at {address} could not be reached ({reason}).") from None
    try:
        keys = crypto.PublicKeys.from_json(json.loads(raw[:SMALL_MAX_BYTES]))
    except (ValueError, crypto.CryptoError):
        raise DeliveryFailed(f"The answer from {address} is not a school's keys.") from None
    if keys.urn != urn:
        raise DeliveryFailed(f"The Kestrel at {address} answered for another school.")
    try:
        said = checked_address(keys.address)
    except DeliveryFailed:
        said = keys.address
    if said != address:
        raise DeliveryFailed(
            f"The Kestrel at {address} gives its address as {keys.address}: record that address "
            "for the school instead."
        )
    return keys


def keys_of_school(address: str, urn: str) -> crypto.PublicKeys:
    """A school's public keys: read here for a school of this installation, else asked of its
    own Kestrel."""
    if is_here(address):
        school = school_here(urn)
        if school is None:
            raise DeliveryFailed(f"This Kestrel has no school with URN {urn}.")
        return crypto.public_keys(school, own_address())
    return fetch_keys(address, urn)


def post(url: str, body, headers: dict, timeout: int) -> bytes:
    # `url` is on an address through checked_address: https, or http to this machine.
    asked = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    with _open(asked, timeout) as reply:
        return reply.read(SMALL_MAX_BYTES)
