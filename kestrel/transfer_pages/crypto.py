"""The keys and cryptography of a child's file sent from one Kestrel to another.

Each school has two key pairs (kestrel.transfers.models.SchoolKeys, made on first need): Ed25519
to sign what it sends, X25519 to receive. A package is encrypted to the receiving school's X25519
key with HPKE (RFC 9180, base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM), then
its envelope is signed with the sending school's Ed25519 key.

HPKE in `cryptography` seals one message at once; a package may be hundreds of megabytes, so HPKE
seals a fresh 256-bit content key, and the package is encrypted with that key a megabyte at a
time with AES-256-GCM (the STREAM construction of age and Tink: each chunk's nonce is its number
and whether it is the last, so chunks cannot be reordered, dropped or the stream cut short). The
HPKE `info` binds the content key to the sender (address and URN), the recipient's URN and the
sender's transfer reference: a package whose envelope is re-signed by a third party in its own
name no longer decrypts.

What is signed is the envelope's exact bytes (canonical JSON: sorted keys, no spaces, ASCII),
after a line naming what they are, so a signature on an envelope is never taken for a receipt's.
"""

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction

from kestrel.encryption import decrypt, encrypt
from kestrel.schools.scope import scope
from kestrel.transfers.models import SchoolKeys

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
SUITE_NAME = "HPKE-Base-X25519-HKDF-SHA256-AES-256-GCM"
SIGNATURE_NAME = "Ed25519"
CHUNK_BYTES = 1024 * 1024
TAG_BYTES = 16
COUNTER_LIMIT = 2**88  # 11 bytes of the nonce count chunks

# What a signature is over: one of these lines, then the canonical JSON.
ENVELOPE = b"kestrel-transfer-envelope\n"
RECEIPT = b"kestrel-transfer-receipt\n"
CONTENT_KEY = b"kestrel-transfer-content-key\n"


class CryptoError(Exception):
    """A package or receipt that does not verify or decrypt; the message says which, plainly."""


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text, *, length: int | None = None) -> bytes:
    """Strict base64 (of `length` bytes if given); CryptoError otherwise."""
    try:
        raw = base64.b64decode(str(text).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CryptoError("A key or signature is not valid base64.") from None
    if length is not None and len(raw) != length:
        raise CryptoError("A key or signature has the wrong length.")
    return raw


def canonical(data: dict) -> bytes:
    """The one encoding of `data` that is signed: sorted keys, no spaces, ASCII only."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def fingerprint(public_key_b64: str) -> str:
    """A short, readable digest of a public key (to tell keys apart on a page)."""
    digest = hashlib.sha256(unb64(public_key_b64)).hexdigest()[:20].upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


# Keys --------------------------------------------------------------------------------------


def _raw_public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def keys_of(school) -> SchoolKeys:
    """The school's keys, made the first time they are asked for."""
    with scope(school=school.pk):
        existing = SchoolKeys.objects.filter(school=school).first()
        if existing is not None:
            return existing
        signing, receiving = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
        try:
            with transaction.atomic():
                return SchoolKeys.objects.create(
                    school=school,
                    signing_public=b64(_raw_public(signing.public_key())),
                    signing_private=encrypt(_raw_private(signing)),
                    encryption_public=b64(_raw_public(receiving.public_key())),
                    encryption_private=encrypt(_raw_private(receiving)),
                )
        except IntegrityError:  # made at the same moment by another request
            return SchoolKeys.objects.get(school=school)


@dataclass(frozen=True)
class PublicKeys:
    """A school's public keys, as its Kestrel publishes them."""

    name: str
    urn: str
    address: str
    signing: str  # base64 of the raw 32-byte Ed25519 key
    encryption: str  # base64 of the raw 32-byte X25519 key

    def as_json(self) -> dict:
        return {
            "format": "kestrel-school-keys",
            "version": 1,
            "name": self.name,
            "urn": self.urn,
            "address": self.address,
            "signing_key": self.signing,
            "encryption_key": self.encryption,
            "algorithms": {"signing": SIGNATURE_NAME, "encryption": SUITE_NAME},
        }

    @classmethod
    def from_json(cls, data) -> "PublicKeys":
        """Read from another Kestrel's answer; CryptoError if it is not a school's keys."""
        if not isinstance(data, dict) or data.get("format") != "kestrel-school-keys":
            raise CryptoError("The answer is not a school's keys.")
        if data.get("version") != 1:
            raise CryptoError("The school's keys are in a version this Kestrel does not read.")
        fields = {}
        for name, key in (("name", "name"), ("urn", "urn"), ("address", "address")):
            value = data.get(key)
            if not isinstance(value, str):
                raise CryptoError(f"The school's keys have no {name}.")
            fields[name] = value
        for name, key in (("signing", "signing_key"), ("encryption", "encryption_key")):
            unb64(data.get(key, ""), length=32)
            fields[name] = data[key]
        return cls(**fields)


def public_keys(school, address: str) -> PublicKeys:
    keys = keys_of(school)
    return PublicKeys(
        name=school.name,
        urn=school.urn,
        address=address,
        signing=keys.signing_public,
        encryption=keys.encryption_public,
    )


# Signatures --------------------------------------------------------------------------------


def sign(school, purpose: bytes, data: dict) -> tuple[bytes, str]:
    """`data`'s canonical bytes and the school's signature over them (base64)."""
    body = canonical(data)
    private = Ed25519PrivateKey.from_private_bytes(decrypt(keys_of(school).signing_private))
    return body, b64(private.sign(purpose + body))


def verify(signing_key_b64: str, purpose: bytes, body: bytes, signature_b64: str) -> None:
    """Raises CryptoError unless `signature` is the key's over `body` for `purpose`."""
    key = Ed25519PublicKey.from_public_bytes(unb64(signing_key_b64, length=32))
    try:
        key.verify(unb64(signature_b64, length=64), purpose + body)
    except InvalidSignature:
        raise CryptoError(
            "The signature does not match: the package was changed on the way, or it was not "
            "signed by the school it names."
        ) from None


# Encryption --------------------------------------------------------------------------------


def _nonce(counter: int, last: bool) -> bytes:
    if counter >= COUNTER_LIMIT:
        raise CryptoError("The package is too large.")
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _chunks(source: BinaryIO, size: int):
    """(chunk, is_last) pairs; an empty source is one empty last chunk."""
    current = source.read(size)
    while True:
        following = source.read(size) if len(current) == size else b""
        yield current, not following
        if not following:
            return
        current = following


def seal(source: BinaryIO, out: BinaryIO, *, encryption_key_b64: str, info: bytes) -> str:
    """Encrypts `source` to the X25519 key into `out`; returns the HPKE-sealed content key
    (base64) for the envelope."""
    recipient = X25519PublicKey.from_public_bytes(unb64(encryption_key_b64, length=32))
    content_key = os.urandom(32)
    sealed_key = SUITE.encrypt(content_key, recipient, info=CONTENT_KEY + info)
    aead = AESGCM(content_key)
    for counter, (chunk, last) in enumerate(_chunks(source, CHUNK_BYTES)):
        out.write(aead.encrypt(_nonce(counter, last), chunk, None))
    return b64(sealed_key)


def unseal(source: BinaryIO, out: BinaryIO, *, school, sealed_key_b64: str, info: bytes) -> None:
    """Decrypts a package sealed to the school's key into `out`; CryptoError if it does not
    decrypt (another recipient, another sender, or changed on the way)."""
    private = X25519PrivateKey.from_private_bytes(decrypt(keys_of(school).encryption_private))
    try:
        content_key = SUITE.decrypt(unb64(sealed_key_b64), private, info=CONTENT_KEY + info)
    except Exception:  # cryptography raises its own InvalidTag or ValueError here
        raise CryptoError(
            "The package could not be decrypted: it was not encrypted for this school by the "
            "school its envelope names."
        ) from None
    aead = AESGCM(content_key)
    try:
        for counter, (chunk, last) in enumerate(_chunks(source, CHUNK_BYTES + TAG_BYTES)):
            out.write(aead.decrypt(_nonce(counter, last), chunk, None))
    except InvalidTag:
        raise CryptoError(
            "The package could not be decrypted: it was changed on the way."
        ) from None
