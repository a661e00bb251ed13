"""The school scope, enforced: a school-owned row is only read inside a scope that names its school.

Every school-owned model's default manager (`objects`) filters by the school (or schools) of the
current scope, and raises `ScopeError` when no scope is active, so a query that forgot which school
it is for is an error in tests, not a leak in production. The scope is django-scopes' (pretix):

- a signed-in request runs in `scope(school=<the user's school id>)` (SchoolScopeMiddleware);
- a task enters the scope of the school its rows belong to (`in_school_of` below);
- a trust-wide view names several schools: `scope(school=[id, id, ...])` reads rows of those
  schools and no other;
- cross-school jobs (the alert sweep, task recovery, publishing audit heads, tidy, seeding, the
  bench, management commands) run in `scopes_disabled()`, and say why where they do.

The manager here is stricter than django-scopes' `ScopedManager`: with no scope, that one returns
a queryset on which `.exists()`, `.contains()` and `.in_bulk()` still run unfiltered, that a
subquery (`Exists(...)`) reads unfiltered, and a scope of `school=None` filters nothing. A
queryset made here outside a scope carries a condition that refuses to become SQL: whatever runs
it (a fetch, count, exists, update, delete, or a subquery of another query) raises ScopeError,
even if it is run later inside a scope. It may still be made and chained outside a scope, as a
model form's choices are when the form class is imported; the form sets its own in `__init__`.
A scope must name at least one school.
"""

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import BooleanField, Expression
from django_scopes import ScopeError, get_scope, scope, scopes_disabled

__all__ = [
    "SchoolScopedManager",
    "ScopeError",
    "in_school_of",
    "school_scoped",
    "scope",
    "scopes_disabled",
]


class NoSchoolScope(Expression):
    """The condition of a queryset made outside any school scope: it cannot be compiled."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler, connection):
        if compiler.query.is_empty():  # `.none()`: nothing would be read anyway
            raise EmptyResultSet
        raise ScopeError(
            f"A school scope needs to be active for this query of {compiler.query.model.__name__}."
        )

    def get_group_by_cols(self):
        return []


def _scoped_filter() -> models.Q | None:
    """The condition the current scope asks for, or None when scoping is switched off."""
    current = get_scope()
    if not current.get("_enabled", True):
        return None
    value = current.get("school")
    if isinstance(value, list | tuple | set | frozenset):
        if not value:
            return models.Q(NoSchoolScope())
        return models.Q(school__in=sorted(int(v) for v in value))
    if value is None:
        return models.Q(NoSchoolScope())
    return models.Q(school=value)


class SchoolScopedManager(models.Manager):
    """The default manager of a school-owned model: the current scope's school(s) only."""

    def get_queryset(self):
        queryset = super().get_queryset()
        narrowing = _scoped_filter()
        return queryset if narrowing is None else queryset.filter(narrowing)

    def none(self):
        return super().get_queryset().none()


def school_scoped(manager_class: type[models.Manager] = models.Manager) -> models.Manager:
    """A scoped default manager built on `manager_class` (to keep its queryset methods)."""
    scoped = type(
        f"SchoolScoped{manager_class.__name__}",
        (SchoolScopedManager, manager_class),
        {"use_in_migrations": False, "__module__": __name__},
    )
    return scoped()


def school_id_of(model, pk) -> int | None:
    """The school a row belongs to, read across schools (to enter that school's scope)."""
    with scopes_disabled():
        return model.objects.filter(pk=pk).values_list("school_id", flat=True).first()


def in_school_of(model, pk):
    """The scope of the school that row `pk` of `model` belongs to: a task's rows are read in
    their own school's scope. A row that no longer exists gives an empty scope (which refuses)."""
    school_id = school_id_of(model, pk)
    return scope(school=school_id if school_id is not None else [])


def _refuses(node) -> bool:
    """Whether a WHERE node is (only) the no-scope refusal."""
    if isinstance(node, NoSchoolScope) or isinstance(getattr(node, "lhs", None), NoSchoolScope):
        return True
    children = getattr(node, "children", None)
    return bool(children) and node.connector == "AND" and all(map(_refuses, children))


def rescoped(queryset: models.QuerySet) -> models.QuerySet:
    """`queryset` as if made in the current scope. A model form's choices are made when its class
    is imported, outside any scope (they refuse to run); the form re-makes them in its request's
    scope with this. A queryset that has a scope already gets the current one added."""
    clone = queryset.all()
    where = clone.query.where
    where.children = [child for child in where.children if not _refuses(child)]
    narrowing = (
        _scoped_filter()
        if isinstance(queryset.model._default_manager, SchoolScopedManager)
        else None
    )
    return clone if narrowing is None else clone.filter(narrowing)
