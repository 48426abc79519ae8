"""The gazetteer file loads, covers the world, and rejects malformed data with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from watchfloor.services.classifier.gazetteer import Gazetteer, GazetteerError


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def test_packaged_gazetteer_covers_every_state(gazetteer: Gazetteer) -> None:
    countries = [e for (kind, _), e in gazetteer.entities.items() if kind == "country"]
    assert len(countries) >= 195
    assert gazetteer.country("KP").name == "North Korea"
    assert gazetteer.organisation("IAEA") is not None
    assert gazetteer.person("kim-jong-un").country == "KP"
    assert gazetteer.person("jens-stoltenberg").org == "NATO"


def test_capitals_are_guarded_and_ambiguous_names_weak(gazetteer: Gazetteer) -> None:
    assert gazetteer.surfaces["Pyongyang"].strength == "guarded"
    assert gazetteer.surfaces["Georgia"].strength == "weak"
    assert gazetteer.surfaces["North Korean"].strength == "strong"
    assert gazetteer.surfaces["Washington Post"].entity is None


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "gaz.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_conflicting_alias_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "countries:\n"
        "  - {code: AA, name: Avalon, aliases: [Avalonia]}\n"
        "  - {code: BB, name: Borduria}\n"
        "  - {code: CC, name: Carpania, aliases: [Avalonia]}\n",
    )
    with pytest.raises(GazetteerError) as error:
        Gazetteer.load(path)
    message = str(error.value)
    assert message.startswith(f"{path}:4:")
    assert "'Avalonia'" in message and "line 2" in message


def test_bad_iso_code_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "countries:\n  - code: Xyz\n    name: Nowhere\n")
    with pytest.raises(GazetteerError, match=r"gaz\.yaml:2: bad ISO 3166 alpha-2 code 'Xyz'"):
        Gazetteer.load(path)


def test_an_organisation_id_that_is_a_country_code_is_rejected(tmp_path: Path) -> None:
    # watchlists name actors by id alone: "AU" matched Australia and the African Union
    path = write(tmp_path, "countries:\n  - {code: AU, name: Australia}\n"
                           "organisations:\n  - {id: AU, name: African Union}\n")
    with pytest.raises(GazetteerError, match=r":4: organisation id 'AU' is a country's code"):
        Gazetteer.load(path)


def test_the_packaged_organisations_have_ids_no_country_has() -> None:
    gazetteer = Gazetteer.load()
    assert gazetteer.country("AU").name == "Australia" and gazetteer.organisation("AU") is None
    assert gazetteer.organisation("AFRICAN-UNION").name == "African Union"
    assert gazetteer.country("IS").name == "Iceland" and gazetteer.organisation("IS") is None
    assert gazetteer.organisation("ISLAMIC-STATE").name == "Islamic State"


def test_missing_name_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "countries:\n  - {code: AA}\n  - {code: BB, name: Borduria}\n")
    with pytest.raises(GazetteerError, match=r"gaz\.yaml:2: missing name"):
        Gazetteer.load(path)


def test_person_must_point_at_known_country(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "countries:\n  - {code: AA, name: Avalon}\n"
        "people:\n  - {id: jo-bloggs, name: Jo Bloggs, country: ZZ}\n",
    )
    with pytest.raises(GazetteerError, match=r":4: unknown country 'ZZ'"):
        Gazetteer.load(path)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "countries:\n  - {code: AA, name: [unclosed\n")
    with pytest.raises(GazetteerError, match=r"gaz\.yaml:\d+: not valid YAML"):
        Gazetteer.load(path)


def test_same_alias_twice_for_same_entity_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "countries:\n  - {code: AA, name: Avalon, aliases: [Avalon, Avalon]}\n")
    assert Gazetteer.load(path).surfaces["Avalon"].entity.id == "AA"
