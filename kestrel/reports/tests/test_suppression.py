"""Small numbers are never published, nor left where subtraction would give them back."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kestrel.reports.suppression import FEWER_THAN, NOT_SHOWN, Count, suppress, suppress_list

counts = st.integers(min_value=0, max_value=12)


@st.composite
def tables(draw, most_rows=4, most_columns=4, values=counts):
    rows = draw(st.integers(min_value=1, max_value=most_rows))
    columns = draw(st.integers(min_value=1, max_value=most_columns))
    return [draw(st.lists(values, min_size=columns, max_size=columns)) for _ in range(rows)]


def published(table):
    """Every published number of the table, with where it is."""
    found = [(("cell", r, c), n) for r, row in enumerate(table.cells) for c, n in enumerate(row)]
    found += [(("row", r, 0), n) for r, n in enumerate(table.row_totals or [])]
    found += [(("column", 0, c), n) for c, n in enumerate(table.column_totals or [])]
    if table.grand_total is not None:
        found.append((("grand", 0, 0), table.grand_total))
    return found


def with_totals(cells):
    rows = [sum(row) for row in cells]
    columns = [sum(column) for column in zip(*cells, strict=True)]
    return suppress(cells, row_totals=rows, column_totals=columns, grand_total=sum(rows))


@given(tables())
@settings(max_examples=400)
def test_no_count_from_1_to_4_is_ever_shown(cells):
    for _, count in published(with_totals(cells)):
        if 0 < count.value < 5:
            assert count.text == FEWER_THAN
        assert count.text in {FEWER_THAN, NOT_SHOWN} or count.text == str(count.value)


@given(tables())
@settings(max_examples=400)
def test_no_line_of_a_table_has_exactly_one_hidden_number(cells):
    table = with_totals(cells)
    where = dict(published(table))
    for line in table.lines:
        assert sum(not where[key].shown for key in line) != 1, line


@given(tables())
@settings(max_examples=400)
def test_what_is_shown_is_the_true_count_and_only_small_ones_say_fewer_than_5(cells):
    for _, count in published(with_totals(cells)):
        if count.shown:
            assert count.text == str(count.value)
            assert count.value == 0 or count.value >= 5
        elif count.hidden == "secondary":
            assert count.text == NOT_SHOWN


def line_readings(line, where):
    """Every way to fill a line's hidden numbers that agrees with what it shows, knowing its
    cells add up to its total: "fewer than 5" is 1 to 4, "not shown" 0 or 5 upwards."""
    *members, total = line
    left = where[total].value - sum(where[key].value for key in members if where[key].shown)
    hidden = [key for key in members if not where[key].shown]
    options = [
        range(1, 5) if where[key].hidden == "primary" else [0, *range(5, left + 1)]
        for key in hidden
    ]
    for guess in itertools.product(*options):
        if sum(guess) == left:
            yield dict(zip(hidden, guess, strict=True))


@given(tables(most_rows=3, most_columns=4, values=st.integers(min_value=0, max_value=9)))
@settings(max_examples=300, deadline=None)
def test_no_hidden_small_count_can_be_worked_out_from_its_row_or_column(cells):
    table = with_totals(cells)
    where = dict(published(table))
    for line in table.lines:
        if not where[line[-1]].shown:
            continue  # a hidden total: the line's sum is not known
        readings = list(line_readings(line, where))
        truth = {key: where[key].value for key in line[:-1] if not where[key].shown}
        assert truth in readings
        for key in truth:
            if where[key].hidden == "primary":
                assert len({reading[key] for reading in readings}) > 1, (cells, line, key)


@pytest.mark.parametrize("length", [1, 2, 3, 4])
def test_every_row_up_to_4_cells_of_0_to_7_with_its_total_keeps_its_small_counts_hidden(length):
    """Exhaustive for one row with its total: no small count can be had by subtraction."""
    for row in itertools.product(range(8), repeat=length):
        table = suppress([list(row)], row_totals=[sum(row)])
        cells, total = table.cells[0], table.row_totals[0]
        if not total.shown and 0 < total.value < 5:
            assert total.text == FEWER_THAN
        hidden = [c for c, count in enumerate(cells) if not count.shown]
        assert len(hidden) + (not total.shown) != 1, row
        if total.shown and len(hidden) >= 2:
            # The hidden cells share what the total leaves; each could be more than one value.
            rest = total.value - sum(count.value for count in cells if count.shown)
            for c in hidden:
                if cells[c].hidden == "primary":
                    others = [cells[o] for o in hidden if o != c]
                    low = max(1, rest - sum(4 if o.hidden == "primary" else rest for o in others))
                    high = min(4, rest - sum(1 if o.hidden == "primary" else 0 for o in others))
                    assert high > low, (row, c)


def test_two_small_counts_that_could_only_be_1_and_1_take_another_with_them():
    table = suppress([[1, 1, 5]], row_totals=[7])
    assert [count.text for count in table.cells[0]] == [FEWER_THAN, FEWER_THAN, NOT_SHOWN]


def test_a_lone_small_count_beside_a_total_takes_the_next_smallest_with_it():
    table = suppress([[3, 9, 6, 0]], row_totals=[18])
    assert [count.text for count in table.cells[0]] == [FEWER_THAN, "9", NOT_SHOWN, "0"]
    assert table.row_totals[0].text == "18"


def test_zero_is_shown_and_5_is_shown():
    table = suppress([[0, 5, 12]], row_totals=[17])
    assert [str(count) for count in table.cells[0]] == ["0", "5", "12"]


def test_a_small_total_is_hidden_and_so_is_a_cell_that_would_give_it():
    table = suppress([[0, 3]], row_totals=[3])
    assert table.row_totals[0].text == FEWER_THAN
    assert table.cells[0][1].text == FEWER_THAN


def test_a_list_with_its_total():
    values, total = suppress_list([2, 10, 7], total=19)
    assert [str(v) for v in values] == [FEWER_THAN, "10", NOT_SHOWN]
    assert total == Count(19)


def test_negative_counts_and_ragged_rows_are_refused():
    with pytest.raises(ValueError):
        suppress([[1, -1]])
    with pytest.raises(ValueError):
        suppress([[1, 2], [3]])


def test_a_line_whose_cells_cannot_add_up_to_its_total_hides_no_more():
    # Subcategories against all incidents: 3 and 2 hidden, 48 elsewhere; nothing to subtract.
    table = suppress([[0], [3], [0], [2]], column_totals=[53])
    assert [row[0].text for row in table.cells] == ["0", FEWER_THAN, "0", FEWER_THAN]


def test_a_row_without_a_total_hides_only_its_small_counts():
    table = suppress([[3, 10]])
    assert [count.text for count in table.cells[0]] == [FEWER_THAN, "10"]
