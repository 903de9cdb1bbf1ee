"""The names a column goes by, compared whatever their spelling."""

from __future__ import annotations

import pytest

from enrow_async.tables.names import key, known_names


@pytest.mark.parametrize(
    ("names", "spellings"),
    [
        ("firstname", ["First Name", "first_name", "FIRSTNAME", " first-name "]),
        ("prenom", ["Prénom", "PRENOM"]),
        ("email", ["E-Mail", "e_mail"]),
    ],
)
def test_one_name_whatever_its_spelling(names: str, spellings: list[str]) -> None:
    assert {key(spelling) for spelling in spellings} == {names}


def test_known_names_are_counted() -> None:
    assert known_names(["Vorname", "Nachname", "Firma", "Webseite", "E-Mail", "Notiz"]) == 5
    assert known_names(["Q3 Outbound \u2013 Target Accounts", "", ""]) == 0
    assert known_names(["Record ID", "Lifecycle Stage"]) == 0
