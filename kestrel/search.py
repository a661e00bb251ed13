"""Folded search text: how "zoe" finds "Zoë" and "pawel" finds "Paweł", for students and staff.

A model that is searched this way keeps `search_text`: its SEARCH_FIELDS joined by a space,
lowercase and without accents (`fold`). Typed words are folded the same way and matched as
substrings (`matching`). `KeepsSearchText.save()` and `SearchTextQuerySet`'s bulk writes keep
the column in step; a queryset `update()` of a searched field is refused, since SQL cannot fold
as Python does. Should `fold` ever change, a migration must fill every search_text again.
"""

import unicodedata

from django.db import models

MAX_WORDS = 5
MIN_CHARACTERS = 2  # a search for fewer would list most of a school

# Letters that Unicode does not split into a base letter and an accent, so that taking accents
# off leaves them whole: folded by hand, as a keyboard without them would type them (Polish
# "Paweł", Danish and Norwegian "Søren", "Æsa", Croatian "Đurđa", Icelandic "Þóra", Maltese
# "Ħal", the Turkish dotless i). Lowercase only: they are folded after casefold().
UNSPLIT_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ħ": "h", "ı": "i"}
)


def fold(text: str) -> str:
    """Lowercase, with accents taken off: "Siobhán Ó Briain" is "siobhan o briain", "Paweł
    Søndergård" is "pawel sondergard"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.casefold().translate(UNSPLIT_LETTERS)


def folded_fields(obj, fields) -> str:
    """`obj`'s `fields`, folded and joined by a space (empty fields included)."""
    return fold(" ".join(getattr(obj, name) for name in fields))


def matching(rows: models.QuerySet, query: str) -> models.QuerySet:
    """Those of `rows` whose search_text contains every word of `query` (its first MAX_WORDS),
    in any order, ignoring case and accents; none if nothing is typed."""
    words = fold(query).split()[:MAX_WORDS]
    if not words:
        return rows.none()
    for word in words:  # a substring: on PostgreSQL a trigram index can answer it
        rows = rows.filter(search_text__contains=word)
    return rows


def fields_searched(model) -> frozenset[str]:
    # A model as migrations rebuild it has no SEARCH_FIELDS: it keeps nothing in step.
    return frozenset(getattr(model, "SEARCH_FIELDS", ()))


class SearchTextQuerySet(models.QuerySet):
    """Writes in bulk keep `search_text` in step with SEARCH_FIELDS, as `save()` does."""

    def _fill(self, objs) -> None:
        for obj in objs:
            obj.search_text = folded_fields(obj, self.model.SEARCH_FIELDS)

    def bulk_create(
        self,
        objs,
        batch_size=None,
        ignore_conflicts=False,
        update_conflicts=False,
        update_fields=None,
        unique_fields=None,
    ):
        searched = fields_searched(self.model)
        if searched:
            objs = list(objs)
            self._fill(objs)
            if update_fields and not searched.isdisjoint(update_fields):  # an upsert's overwrites
                update_fields = [*update_fields, "search_text"]
        return super().bulk_create(
            objs,
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            update_conflicts=update_conflicts,
            update_fields=update_fields,
            unique_fields=unique_fields,
        )

    def bulk_update(self, objs, fields, batch_size=None):
        fields = list(fields)
        if not fields_searched(self.model).isdisjoint(fields):
            objs = list(objs)
            self._fill(objs)
            fields = [*fields, "search_text"]
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def update(self, **kwargs):
        # SQL cannot fold accents as Python does: a name changed here would leave the row found
        # by its old name and not its new one.
        if "search_text" not in kwargs and not fields_searched(self.model).isdisjoint(kwargs):
            raise ValueError(
                "update() would leave search_text stale: save() each row, or use "
                "bulk_update(), which keeps it in step."
            )
        return super().update(**kwargs)


class KeepsSearchText:
    """A model mixin: `save()` folds SEARCH_FIELDS into `search_text` when one of them may have
    changed (every save, unless `update_fields` names none of them)."""

    SEARCH_FIELDS: tuple[str, ...] = ()

    def save(self, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or not fields_searched(self).isdisjoint(update_fields):
            self.search_text = folded_fields(self, self.SEARCH_FIELDS)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(**kwargs)


def fill_search_text(model, fields, connection, batch: int = 5000) -> None:
    """Every row's search_text from `fields`, `batch` rows at a time in order of id: for data
    migrations, whose models carry no SEARCH_FIELDS of their own."""
    table = connection.ops.quote_name(model._meta.db_table)
    update = f"UPDATE {table} SET search_text = %s WHERE id = %s"  # noqa: S608
    rows = model._base_manager.using(connection.alias).only(*fields).order_by("pk")
    last = 0
    with connection.cursor() as cursor:
        while chunk := list(rows.filter(pk__gt=last)[:batch]):
            cursor.executemany(update, [(folded_fields(row, fields), row.pk) for row in chunk])
            last = chunk[-1].pk
