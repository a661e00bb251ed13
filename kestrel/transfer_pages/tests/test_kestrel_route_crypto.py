"""The cryptography of a package between Kestrels: signatures, the HPKE-sealed content key and the
package encrypted a chunk at a time (kestrel.transfer_pages.crypto)."""

import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kestrel.transfer_pages import crypto
from kestrel.transfer_pages.kestrel_peers import DeliveryFailed, checked_address, same_address


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 10 bytes, so that a short text crosses several."""
    monkeypatch.setattr(crypto, "CHUNK_BYTES", 10)


def sealed(school, plain: bytes, info=b"binding") -> tuple[bytes, str]:
    keys = crypto.keys_of(school)
    out = io.BytesIO()
    sealed_key = crypto.seal(
        io.BytesIO(plain), out, encryption_key_b64=keys.encryption_public, info=info
    )
    return out.getvalue(), sealed_key


def opened(school, cipher: bytes, sealed_key: str, info=b"binding") -> bytes:
    out = io.BytesIO()
    crypto.unseal(io.BytesIO(cipher), out, school=school, sealed_key_b64=sealed_key, info=info)
    return out.getvalue()


def test_a_schools_keys_are_made_once_and_kept_encrypted(school):
    keys = crypto.keys_of(school)
    assert crypto.keys_of(school).pk == keys.pk
    assert len(crypto.unb64(keys.signing_public, length=32)) == 32
    # The private halves are Fernet tokens, not the raw keys.
    assert keys.signing_private.startswith("gAAAA")
    assert keys.encryption_private.startswith("gAAAA")


def test_a_signature_verifies_over_the_same_bytes_and_purpose_only(school):
    signed, signature = crypto.sign(school, crypto.ENVELOPE, {"transfer": "7", "b": [1, 2]})
    public = crypto.keys_of(school).signing_public
    assert signed == b'{"b":[1,2],"transfer":"7"}'
    crypto.verify(public, crypto.ENVELOPE, signed, signature)
    with pytest.raises(crypto.CryptoError, match="signature does not match"):
        crypto.verify(public, crypto.ENVELOPE, signed.replace(b"7", b"8"), signature)
    # An envelope's signature is never a receipt's.
    with pytest.raises(crypto.CryptoError):
        crypto.verify(public, crypto.RECEIPT, signed, signature)


def test_another_key_claiming_to_be_the_school_does_not_verify(school):
    signed = crypto.canonical({"transfer": "7"})
    forged = crypto.b64(Ed25519PrivateKey.generate().sign(crypto.ENVELOPE + signed))
    with pytest.raises(crypto.CryptoError):
        crypto.verify(crypto.keys_of(school).signing_public, crypto.ENVELOPE, signed, forged)


@pytest.mark.parametrize("size", [0, 1, 10, 25, 30])
def test_a_package_encrypted_for_a_school_decrypts_there(school, small_chunks, size):
    plain = bytes(range(size))
    cipher, sealed_key = sealed(school, plain)
    if size >= 10:  # a shorter plaintext may stand in random bytes by chance (1 byte: 1 in 16)
        assert plain not in cipher
    again, _ = sealed(school, plain)
    assert again != cipher  # a fresh content key each time
    # One chunk for each 10 bytes (an empty or exact last chunk included), 16 bytes of tag each.
    assert len(cipher) == size + 16 * max(1, -(-size // 10))
    assert opened(school, cipher, sealed_key) == plain


def test_a_changed_byte_a_cut_stream_or_swapped_chunks_do_not_decrypt(school, small_chunks):
    plain = b"0123456789abcdefghijKLMNOPQRST!"
    cipher, sealed_key = sealed(school, plain)
    changed = bytearray(cipher)
    changed[3] ^= 1
    swapped = cipher[26:52] + cipher[:26] + cipher[52:]
    for tampered in (bytes(changed), cipher[:52], swapped, cipher + b"x"):
        with pytest.raises(crypto.CryptoError, match="could not be decrypted"):
            opened(school, tampered, sealed_key)


def test_a_package_for_one_school_does_not_open_at_another(school, other_school):
    cipher, sealed_key = sealed(school, b"Hannah's file")
    with pytest.raises(crypto.CryptoError, match="not encrypted for this school"):
        opened(other_school, cipher, sealed_key)


def test_the_content_key_is_bound_to_who_sends_it_to_whom(school):
    cipher, sealed_key = sealed(school, b"Hannah's file", info=b"from A to B, transfer 7")
    with pytest.raises(crypto.CryptoError):
        opened(school, cipher, sealed_key, info=b"from C to B, transfer 7")


def test_another_kestrels_address_must_be_https_except_on_this_machine():
    assert checked_address("https://Kestrel.Brook.example/") == "https://kestrel.brook.example"
    assert checked_address("http://127.0.0.1:8001") == "http://127.0.0.1:8001"
    assert checked_address("http://localhost:8001/") == "http://localhost:8001"
    for refused in (
        "http://kestrel.brook.example",
        "ftp://kestrel.brook.example",
        "https://user:pw@kestrel.brook.example",
        "https://kestrel.brook.example/?next=1",
        "kestrel.brook.example",
    ):
        with pytest.raises(DeliveryFailed):
            checked_address(refused)
    assert same_address("https://a.example/", "https://A.example")
    assert not same_address("https://a.example", "https://b.example")
