"""Another Kestrel's address is on the internet: one that resolves inside a private network is
never asked (server-side request forgery), unless TRANSFER_PEERS_ALLOW_PRIVATE allows it, and the
connection goes to the address that was checked (kestrel.transfer_pages.kestrel_peers)."""

import json

import pytest

from kestrel.audit.models import AuditEvent
from kestrel.transfer_pages import crypto, kestrel_peers
from kestrel.transfer_pages.kestrel_peers import DeliveryFailed

REFUSED = [
    "127.0.0.1",  # loopback
    "10.1.2.3",  # private
    "172.16.0.9",
    "192.168.1.20",
    "100.64.0.1",  # shared (carrier-grade NAT)
    "169.254.169.254",  # link-local (cloud metadata)
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "0.0.0.0",  # unspecified  # noqa: S104
    "::1",
    "fc00::1",  # unique local
    "fe80::1",  # link-local
    "ff02::1",  # multicast
    "::",
    "::ffff:10.0.0.1",  # IPv4 inside IPv6
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
]
PUBLIC = "93.184.215.14"


@pytest.fixture
def no_private(settings):
    settings.TRANSFER_PEERS_ALLOW_PRIVATE = False


@pytest.fixture
def resolves(monkeypatch):
    """Makes every name resolve to the addresses given."""

    def to(*ips):
        monkeypatch.setattr(kestrel_peers, "resolve", lambda host, port: list(ips))

    return to


@pytest.fixture
def connections(monkeypatch):
    """The (IP, port) each connection is opened to; none is (each fails as unreachable)."""
    opened = []

    def connect(target, timeout=None, *args):
        opened.append(target)
        raise ConnectionRefusedError("refused in the test")

    monkeypatch.setattr(kestrel_peers.socket, "create_connection", connect)
    return opened


@pytest.mark.parametrize("ip", REFUSED)
def test_an_address_resolving_inside_a_private_network_is_never_asked(
    no_private, resolves, connections, ip
):
    resolves(ip)
    with pytest.raises(DeliveryFailed, match="inside a private network"):
        kestrel_peers.fetch_keys("https://kestrel.brook.example", "100002")
    assert connections == []


def test_one_private_address_among_public_ones_is_enough_to_refuse(
    no_private, resolves, connections
):
    resolves(PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "10.0.0.7")
    with pytest.raises(DeliveryFailed, match="inside a private network"):
        kestrel_peers.post("https://kestrel.brook.example/transfers/inbox/", b"x", {}, 5)
    assert connections == []


def test_a_public_address_is_asked_at_the_ip_address_that_was_checked(
    no_private, resolves, connections
):
    """The name is resolved once: the connection goes to the checked address, never to what the
    name resolves to a moment later."""
    resolves(PUBLIC)
    with pytest.raises(DeliveryFailed, match="could not be reached"):
        kestrel_peers.fetch_keys("https://kestrel.brook.example:8443", "100002")
    assert connections == [(PUBLIC, 8443)]


@pytest.mark.parametrize(
    "address",
    ["https://127.0.0.1", "https://[::1]:8443", "https://10.0.0.1", "https://localhost"],
)
def test_a_private_ip_address_typed_as_a_kestrels_address_is_refused_at_once(no_private, address):
    with pytest.raises(DeliveryFailed, match="inside a private network"):
        kestrel_peers.checked_address(address)


def test_plain_http_even_to_this_machine_is_refused_unless_private_addresses_are_allowed(
    settings,
):
    settings.TRANSFER_PEERS_ALLOW_PRIVATE = False
    with pytest.raises(DeliveryFailed, match="must start with https://"):
        kestrel_peers.checked_address("http://127.0.0.1:8000")
    settings.TRANSFER_PEERS_ALLOW_PRIVATE = True
    assert kestrel_peers.checked_address("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    with pytest.raises(DeliveryFailed, match="must start with https://"):
        kestrel_peers.checked_address("http://kestrel.brook.example")


def test_private_addresses_are_asked_when_the_setting_allows_them(settings, resolves, connections):
    settings.TRANSFER_PEERS_ALLOW_PRIVATE = True
    resolves("10.1.2.3")
    with pytest.raises(DeliveryFailed, match="could not be reached"):
        kestrel_peers.fetch_keys("https://kestrel.brook.internal", "100002")
    assert connections == [("10.1.2.3", 443)]


def test_the_inbox_refuses_a_package_whose_sender_is_inside_a_private_network_and_records_it(
    client, no_private, resolves, connections, school, other_school
):
    other_school.urn = "100002"
    other_school.save(update_fields=["urn"])
    resolves("169.254.169.254")
    envelope = {
        "format": "kestrel-transfer-envelope",
        "version": 1,
        "sender": {"address": "https://metadata.example", "urn": "100001", "name": "A school"},
        "recipient": {"urn": "100002"},
        "transfer": "41",
        "sealed_key": "AAAA",
        "ciphertext_sha256": "0" * 64,
        "ciphertext_bytes": 1,
        "suite": crypto.SUITE_NAME,
        "chunk_bytes": crypto.CHUNK_BYTES,
    }
    response = client.post(
        "/transfers/inbox/",
        b"x",
        content_type="application/octet-stream",
        headers={
            "Kestrel-Envelope": crypto.b64(json.dumps(envelope).encode()),
            "Kestrel-Signature": "AAAA",
        },
    )
    assert response.status_code == 403
    assert "inside a private network" in response.text
    assert connections == []
    event = AuditEvent.objects.get(action="transfer.package_refused")
    assert event.detail == {
        "reason": "sender_keys",
        "status": 403,
        "from_address": "https://metadata.example",
        "from_urn": "100001",
        "transfer": "41",
    }


# Over TLS, to a real server on this machine -------------------------------------------------


def _certificate(name: str, folder) -> tuple[str, str]:
    """A self-signed certificate for `name` and its key, as PEM files in `folder`."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_kestrel(tmp_path, monkeypatch):
    """A server on 127.0.0.1 answering over TLS with a certificate for kestrel.brook.example
    (trusted by the test), returning `answer` to every GET; yields (port, answer)."""
    import http.server
    import ssl
    import threading

    answer = {}

    class Keys(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    cert, key = _certificate("kestrel.brook.example", tmp_path)
    server = http.server.HTTPServer(("127.0.0.1", 0), Keys)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(
        kestrel_peers, "tls_context", lambda: ssl.create_default_context(cafile=cert)
    )
    yield server.server_address[1], answer
    server.shutdown()
    server.server_close()


def test_the_connection_goes_to_the_checked_ip_address_and_checks_the_certificate_by_name(
    settings, resolves, tls_kestrel, other_school
):
    """The name does not exist in DNS: only the checked IP address is used; TLS still checks
    the certificate against the name."""
    settings.TRANSFER_PEERS_ALLOW_PRIVATE = True
    port, answer = tls_kestrel
    address = f"https://kestrel.brook.example:{port}"
    other_school.urn = "100002"
    other_school.save(update_fields=["urn"])
    answer.update(crypto.public_keys(other_school, address).as_json())
    resolves("127.0.0.1")
    keys = kestrel_peers.fetch_keys(address, "100002")
    assert (keys.urn, keys.address) == ("100002", address)

    # The same server under a name its certificate is not for: refused.
    with pytest.raises(DeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        kestrel_peers.fetch_keys(f"https://kestrel.elsewhere.example:{port}", "100002")
