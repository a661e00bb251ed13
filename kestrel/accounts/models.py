"""Staff members: the people who sign in to Kestrel. The email address is the username."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from kestrel.schools.models import AccessLevel, School


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            # Staff set their own first password through the emailed link; none is ever issued.
            user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A staff member of one school."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="staff")
    email = models.EmailField("Email address", max_length=254, unique=True)
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

    objects = UserManager()

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
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
