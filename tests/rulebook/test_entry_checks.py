"""The entry checks' rules: the usual address, the unit it has, the sizes a buyer chooses per category."""

from rulebook.entry_checks import DraftItem, address_warning, size_warnings, usual_address

HOME = {"province": "上海", "city": "上海", "district": "浦东", "street": "世纪大道1号", "unit": "3-201"}
OFFICE = {"province": "上海", "city": "上海", "district": "静安", "street": "南京西路2号", "unit": ""}


def test_the_usual_address_is_the_most_used_one() -> None:
    assert usual_address([OFFICE, HOME, HOME]) == HOME
    assert usual_address([]) is None


def test_a_draft_on_the_usual_street_without_its_unit_is_warned() -> None:
    warning = address_warning({**HOME, "unit": ""}, [HOME, HOME, OFFICE])
    assert warning is not None and (warning.field, warning.suggestion) == ("shipping_address.unit", "3-201")
    assert address_warning({**HOME, "unit": ""}, []) is None  # no history
    assert address_warning({**HOME, "unit": "5-1"}, [HOME]) is None  # a unit given
    assert address_warning({**OFFICE, "unit": ""}, [HOME, HOME]) is None  # another street: a new address
    assert address_warning({**OFFICE, "unit": ""}, [OFFICE]) is None  # the usual one has no unit either


def test_a_size_unlike_every_earlier_one_of_the_category_is_warned_with_the_usual_size() -> None:
    history = {"clothing": ["L", "L", "M"], "shoes": ["42"]}
    items = [DraftItem("clothing", "XXL"), DraftItem("clothing", "m"), DraftItem("shoes", "42"), DraftItem("toys", "S")]
    [warning] = size_warnings(items, history)
    assert (warning.field, warning.suggestion) == ("items[0].spec", "L")
    assert "XXL" in size_warnings(items, history, english=True)[0].message
