"""The list of territorial communities in scoring/data/hromadas.json and its loader."""

import json
import re

import pytest

from scoring import hromadas

ISO_CODES = {
    "UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23", "UA-26",
    "UA-30", "UA-32", "UA-35", "UA-40", "UA-43", "UA-46", "UA-48", "UA-51", "UA-53",
    "UA-56", "UA-59", "UA-61", "UA-63", "UA-65", "UA-68", "UA-71", "UA-74", "UA-77",
}  # fmt: skip
KATOTTG_CODE = re.compile(r"UA\d{17}")


def _raw() -> dict[str, list[dict[str, str]]]:
    return json.loads(hromadas.DATA_FILE.read_text(encoding="utf-8"))


def test_every_oblast_is_present():
    assert set(_raw()) == ISO_CODES
    assert hromadas.oblasts() == sorted(ISO_CODES)
    for oblast in ISO_CODES:
        assert hromadas.communities(oblast), oblast


def test_entries_hold_code_and_name_only():
    for entries in _raw().values():
        for entry in entries:
            assert set(entry) == {"code", "name"}
            assert entry["name"] == entry["name"].strip() and entry["name"]


def test_codes_are_unique_katottg_codes():
    codes = [entry["code"] for entries in _raw().values() for entry in entries]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert len(code) == 19 and code.startswith("UA"), code
        assert KATOTTG_CODE.fullmatch(code), code


def test_counts():
    data = _raw()
    mainland = sum(
        len(entries)
        for oblast, entries in data.items()
        if oblast not in {"UA-30", "UA-40", "UA-43"}
    )
    assert mainland == 1469  # the communities formed by the 2020 reform
    assert len(data["UA-30"]) == len(data["UA-40"]) == 1


def test_kharkiv_has_kharkiv_community():
    names = [entry["name"] for entry in hromadas.communities("UA-63")]
    assert any(name.startswith("Харківська") for name in names)
    assert "Харківська міська територіальна громада" in names


def test_oblast_mapping_follows_iso_not_katottg_numbering():
    # ISO UA-77 is Chernivtsi (KATOTTG 73), UA-74 Chernihiv, UA-09 Luhansk (KATOTTG 44).
    assert hromadas.name_of(_code("UA-77", "Чернівецька міська")) is not None
    assert hromadas.name_of(_code("UA-74", "Чернігівська міська")) is not None
    assert all(e["code"].startswith("UA73") for e in hromadas.communities("UA-77"))
    assert all(e["code"].startswith("UA74") for e in hromadas.communities("UA-74"))
    assert all(e["code"].startswith("UA44") for e in hromadas.communities("UA-09"))
    assert all(e["code"].startswith("UA01") for e in hromadas.communities("UA-43"))


def test_kyiv_and_sevastopol_are_the_cities_themselves():
    assert hromadas.communities("UA-30") == [{"code": "UA80000000000093317", "name": "Київ"}]
    assert hromadas.communities("UA-40") == [{"code": "UA85000000000065278", "name": "Севастополь"}]


def test_names_are_unique_within_an_oblast():
    for oblast, entries in _raw().items():
        names = [entry["name"] for entry in entries]
        assert len(names) == len(set(names)), oblast


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("Енергодарська", "Єланецька"),  # Е < Є
        ("Єланецька", "Жашківська"),  # Є < Ж
        ("Иршава", "Іванківська"),  # И < І
        ("Іванківська", "Їжаківка"),  # І < Ї
        ("Їжаківка", "Йосипівка"),  # Ї < Й
        ("Гайсинська", "Ґалаґанівка"),  # Г < Ґ
        ("Ґалаґанівка", "Дергачівська"),  # Ґ < Д
        ("Білозерська", "Бучанська"),  # і < у, though U+0456 > U+0443
        ("Бабанська", "Білозерська"),  # а < і
        ("Щастинська", "Ювілейна"),  # Щ < Ю (ь in between)
        ("Павлоградська", "П’ятихатська"),  # the apostrophe is skipped
        ("петриківська", "Підгородненська"),  # case does not matter
    ],
)
def test_collation_key_follows_the_ukrainian_alphabet(earlier, later):
    assert hromadas.collation_key(earlier) < hromadas.collation_key(later)


def test_plain_sort_would_get_it_wrong():
    names = ["Ємільчинська", "Житомирська", "Іршанська", "Коростенська", "Езерська"]
    assert sorted(names) != sorted(names, key=hromadas.collation_key)
    assert sorted(names, key=hromadas.collation_key) == [
        "Езерська", "Ємільчинська", "Житомирська", "Іршанська", "Коростенська",
    ]  # fmt: skip


def test_each_oblast_is_in_ukrainian_alphabetical_order():
    for oblast, entries in _raw().items():
        keys = [(hromadas.collation_key(entry["name"]), entry["code"]) for entry in entries]
        assert keys == sorted(keys), oblast


def test_first_letters_follow_the_alphabet_in_the_data():
    rank = {letter: i for i, letter in enumerate(hromadas.UKRAINIAN_ALPHABET.upper())}
    for oblast, entries in _raw().items():
        ranks = [rank[entry["name"][0]] for entry in entries]
        assert ranks == sorted(ranks), oblast
    # Zhytomyr has Д, Є, Ж, З and І names: Є between Д and Ж, І after З.
    letters = "".join(dict.fromkeys(e["name"][0] for e in hromadas.communities("UA-18")))
    assert "ДЄЖЗІК" in letters


def test_find():
    kharkiv = next(e for e in hromadas.communities("UA-63") if e["name"].startswith("Харківська"))
    assert hromadas.find("UA-63", kharkiv["code"]) == kharkiv
    assert hromadas.find("UA-63", "UA00000000000000000") is None
    assert hromadas.find("UA-63", "") is None
    assert hromadas.find("UA-32", kharkiv["code"]) is None  # right code, wrong oblast
    assert hromadas.find("UA-99", kharkiv["code"]) is None


def test_name_of():
    assert hromadas.name_of("UA80000000000093317") == "Київ"
    assert hromadas.name_of("UA00000000000000000") is None
    assert hromadas.name_of("") is None
    assert hromadas.name_of(None) is None


def test_unknown_oblast_has_no_communities():
    assert hromadas.communities("UA-99") == []


def test_callers_cannot_change_the_cached_data():
    first = hromadas.communities("UA-05")
    first[0]["name"] = "змінено"
    first.clear()
    again = hromadas.communities("UA-05")
    assert again and again[0]["name"] != "змінено"
    found = hromadas.find("UA-05", again[0]["code"])
    found["name"] = "змінено"
    assert hromadas.name_of(again[0]["code"]) != "змінено"


def _code(oblast: str, prefix: str) -> str:
    return next(e["code"] for e in hromadas.communities(oblast) if e["name"].startswith(prefix))
