"""Incident categories (and, from issue 5, incidents themselves)."""

from django.db import models
from django.db.models.functions import Lower

from kestrel.schools.models import AccessLevel, Retirable, SchoolOwned


class Category(SchoolOwned, Retirable):
    """A category an incident is filed under; a subcategory has a parent ("Child Protection")."""

    name = models.CharField(max_length=80)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subcategories",
        verbose_name="Subcategory of",
    )
    access_level = models.ForeignKey(
        AccessLevel,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Access level needed to view",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["school", "position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                "school", "parent", Lower("name"), name="category_unique_name_per_parent"
            ),
            models.UniqueConstraint(
                "school",
                Lower("name"),
                condition=models.Q(parent__isnull=True),
                name="category_unique_top_level_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name}: {self.name}" if self.parent_id else self.name
