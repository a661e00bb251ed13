"""Staff members: the people who sign in to Kestrel. The email address is the username."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.hashers import check_password
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from kestrel.accounts.emails import EmailAddressField, normalise
from kestrel.encryption import decrypt
from kestrel.schools.models import AccessLevel, School, Trust
from kestrel.schools.scope import school_scoped
from kestrel.search import KeepsSearchText, SearchTextQuerySet

# The columns a colleague's name is made from: what a list may load instead of the whole row.
NAME_FIELDS = ("first_name", "last_name")


class UserManager(BaseUserManager.from_queryset(SearchTextQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Exact, in the one spelling: a database's case-insensitive match (iexact is UPPER() on
        # PostgreSQL) would find "olivia" from "ol\u0131via" while the lockout counted another name.
        return self.get(email=normalise(username))

    def create_user(self, email, password=None, **fields):
        user = self.model(email=normalise(email), **fields)
        if password:
            user.set_password(password)
        else:
            # Staff set their own first password through the emailed link; none is ever issued.
            user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(KeepsSearchText, AbstractBaseUser):
    """A staff member of one school."""

    # What "Alert Staff Members" and the other staff searches find a colleague by (kestrel.search).
    SEARCH_FIELDS = ("first_name", "last_name", "job_title", "email")

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="staff")
    email = EmailAddressField("Email address", max_length=254, unique=True)
    first_name = models.CharField("First name", max_length=80)
    last_name = models.CharField("Last name", max_length=80)
    job_title = models.CharField("Job title", max_length=120, blank=True)
    access_level = models.ForeignKey(
        AccessLevel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Which incident categories this person may see. Leave empty for none.",
    )
    is_key_holder = models.BooleanField(
        "Key holder",
        default=False,
        help_text="May unlock every incident and chronology at their access level with their key.",
    )
    is_school_admin = models.BooleanField(
        "School administrator",
        default=False,
        help_text="Manages the school's set-up and staff. Does not by itself see any record.",
    )
    is_active = models.BooleanField(
        "Active", default=True, help_text="A deactivated account cannot sign in or do anything."
    )
    date_joined = models.DateTimeField(auto_now_add=True)
    password_link_serial = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised with every password link sent: older links die.",
    )

    # Whether the header offers "Switch school" (a membership elsewhere, or a trust role): kept by
    # kestrel.accounts.trusts, so that no page spends a query to ask.
    works_at_other_schools = models.BooleanField(default=False, editable=False)

    # The staff searches' text (kestrel.search), kept by save() and the bulk writes.
    search_text = models.TextField(default="", editable=False)

    # Colleagues are read in the school scope like every school-owned row (scope.py). Signing in,
    # password links and the e-mail clash check run before any scope exists or across schools
    # (addresses are unique in the whole installation): they, and only they, use `all_schools`.
    objects = school_scoped(UserManager)
    all_schools = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_unique_email")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return self.name_of(self.first_name, self.last_name)

    @staticmethod
    def name_of(first_name: str, last_name: str) -> str:
        """A colleague's full name from their name fields (for rows read without the user)."""
        return f"{first_name} {last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    def clean(self) -> None:
        super().clean()
        self.email = normalise(self.email)

    # Working at another school of the trust (kestrel.access.working_school): for one request the
    # user carries that school and their rights there in place of their own. The row keeps their
    # home school and rights: saving a user who is working elsewhere writes the home values.
    WORKING_FIELDS = ("school", "access_level", "is_key_holder", "is_school_admin")

    def work_at(self, school, *, access_level, is_key_holder: bool, is_school_admin: bool):
        """This user, for this request, at `school` with the rights they hold there."""
        if getattr(self, "home_rights", None) is None:
            self.home_rights = {field: getattr(self, field) for field in self.WORKING_FIELDS}
        self.school = school
        self.access_level = access_level
        self.is_key_holder = is_key_holder
        self.is_school_admin = is_school_admin

    @property
    def home_school_id(self) -> int:
        home = getattr(self, "home_rights", None)
        return home["school"].pk if home is not None else self.school_id

    def save(self, **kwargs) -> None:
        home = getattr(self, "home_rights", None)
        if home is None:
            return super().save(**kwargs)
        working = {field: getattr(self, field) for field in self.WORKING_FIELDS}
        for field, value in home.items():
            setattr(self, field, value)
        try:
            return super().save(**kwargs)
        finally:
            for field, value in working.items():
                setattr(self, field, value)


class SchoolMembership(models.Model):
    """A staff member's place at another school of their trust, with their rights there; their
    own school (`User.school`) stays their home. Kept by the operator (`manage.py trust`)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    access_level = models.ForeignKey(
        AccessLevel, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_key_holder = models.BooleanField("Key holder", default=False)
    is_school_admin = models.BooleanField("School administrator", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # A school's row like any other (scope.py); a person's places across the trust are read
    # unscoped on purpose (kestrel.accounts.trusts).
    objects = school_scoped()
    all_schools = models.Manager()  # noqa: DJ012 (a manager: the default, `objects`, first)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "school"], name="membership_unique_school")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.school_id}"


class TrustRole(models.Model):
    """A role over a whole trust. The trust safeguarding lead sees the trust's pages and, by
    switching into one of its schools and unlocking their key there, that school's records."""

    SAFEGUARDING_LEAD = "safeguarding_lead"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trust_roles")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(
        max_length=40,
        choices=[(SAFEGUARDING_LEAD, "Trust safeguarding lead")],
        default=SAFEGUARDING_LEAD,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "trust", "role"], name="trustrole_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.trust_id}"


class SignInSession(models.Model):
    """One signed-in session: shown under "Recent sign-ins" and ended by "Sign out everywhere"."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_ins")
    session_key = models.CharField(max_length=64, db_index=True)
    signed_in_at = models.DateTimeField(default=timezone.now)
    second_factor_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_in_at"]
        indexes = [models.Index(fields=["user", "-signed_in_at"])]

    def __str__(self) -> str:
        return f"{self.user} at {self.signed_in_at:%Y-%m-%d %H:%M}"


class ThrottleEvent(models.Model):
    """A counted event (a failed sign-in, a reset email) for rate limits and lockouts.

    The key is a hash of what is counted (an email address, an IP address), never the value.
    """

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M:%S}"


class BackupCodes(Device):
    """Ten single-use backup codes for the second factor, kept only as password hashes."""

    class Meta(Device.Meta):
        verbose_name = "backup codes"
        verbose_name_plural = "backup codes"

    def verify_token(self, token) -> bool:
        code = normalise_backup_code(str(token))
        if not code:
            return False
        for stored in self.codes.filter(used_at__isnull=True):
            if check_password(code, stored.code_hash):
                updated = BackupCode.objects.filter(pk=stored.pk, used_at__isnull=True).update(
                    used_at=timezone.now()
                )
                return updated == 1  # a code used twice at once counts only once
        return False

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodes, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=200)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"backup code {self.pk}"


def normalise_backup_code(value: str) -> str:
    """Backup codes are read case-insensitively, with or without the dash and spaces."""
    return "".join(value.split()).replace("-", "").lower()[:20]


# Authenticator apps ---------------------------------------------------------------------------

# What django-otp's own key column holds once the secret is encrypted: not hex, so the plain
# TOTPDevice can never compute a code from it (it fails rather than check against a known key).
KEY_ENCRYPTED_ELSEWHERE = "encrypted: see kestrel_accounts.AuthenticatorSecret"


class AuthenticatorSecret(models.Model):
    """An authenticator app's shared secret, encrypted with FIELD_ENCRYPTION_KEYS
    (kestrel.encryption): someone who reads the database cannot make the app's codes."""

    device = models.OneToOneField(
        TOTPDevice, on_delete=models.CASCADE, primary_key=True, related_name="kestrel_secret"
    )
    encrypted_key = models.TextField()

    def __str__(self) -> str:
        return f"secret of device {self.device_id}"


class Authenticator(TOTPDevice):
    """django-otp's TOTP device reading its secret from AuthenticatorSecret, decrypted.

    Always make one with `kestrel.accounts.second_factor.new_authenticator`.
    """

    class Meta:
        proxy = True

    @property
    def bin_key(self) -> bytes:
        return decrypt(self.kestrel_secret.encrypted_key)
