"""Passkeys (WebAuthn) as a second factor, through django-otp-webauthn."""

from django_otp_webauthn.helpers import WebAuthnHelper


def relying_party_id(request) -> str:
    """Passkeys belong to the host name Kestrel is served on."""
    return request.get_host().rsplit(":", 1)[0].strip("[]")


def relying_party_name(request) -> str:
    school = getattr(request, "school", None)
    return f"Kestrel – {school.name}" if school else "Kestrel"


class KestrelWebAuthnHelper(WebAuthnHelper):
    """Accepts passkeys made on the origin Kestrel is being served on (host checked by Django)."""

    def get_allowed_origins(self) -> list[str]:
        origin = f"{self.request.scheme}://{self.request.get_host()}"
        secure = self.request.scheme == "https" or relying_party_id(self.request) in {
            "localhost",
            "127.0.0.1",
        }
        return [origin] if secure else []
