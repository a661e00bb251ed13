"""A school's terms and the days it is closed within them (half terms, INSET days)."""

from django.db import models

from kestrel.schools.models import SchoolOwned


class Term(SchoolOwned):
    """A term, from its first day to its last (both school days unless closed)."""

    name = models.CharField("Term", max_length=60, help_text="For example, Autumn 2026.")
    starts_on = models.DateField("First day")
    ends_on = models.DateField("Last day")

    class Meta:
        ordering = ["school", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="term_ends_after_it_starts",
                violation_error_message="The last day cannot be before the first day.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Closure(SchoolOwned):
    """Days the school is closed in term time: a half term, an INSET day, a closure."""

    HALF_TERM = "half_term"
    INSET = "inset"
    OTHER = "other"
    KINDS = [(HALF_TERM, "Half term"), (INSET, "INSET day"), (OTHER, "Other closure")]

    name = models.CharField("Name", max_length=60, help_text="For example, October half term.")
    kind = models.CharField("Kind", max_length=10, choices=KINDS, default=INSET)
    starts_on = models.DateField("First day")
    ends_on = models.DateField("Last day")

    class Meta:
        ordering = ["school", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="closure_ends_after_it_starts",
                violation_error_message="The last day cannot be before the first day.",
            )
        ]

    def __str__(self) -> str:
        return self.name
