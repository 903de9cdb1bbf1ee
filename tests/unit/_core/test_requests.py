"""Checked inputs and request bodies for every job kind, built before anything is sent."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from helpers import CONFIG, KEY
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import EmailSearch, PhoneSearch
from enrow_async._core.http import Action, Request
from enrow_async._core.jobs import (
    EMAIL_BULK,
    EMAIL_SINGLE,
    JOBS,
    MAX_BATCH,
    PHONE_BULK,
    PHONE_SINGLE,
    VERIFY_BULK,
    VERIFY_SINGLE,
    JobSpec,
)
from enrow_async._core.requests import (
    account_request,
    check_batch_id,
    check_id,
    check_timeout,
    email_bulk_body,
    email_single_body,
    phone_bulk_body,
    phone_single_body,
    read_request,
    start_request,
    to_searches,
    verify_bulk_body,
    verify_single_body,
)

LINKEDIN = "https://www.linkedin.com/in/jim-halpert"


def post(kind: JobSpec[Any], body: dict[str, Any]) -> Request:
    return start_request(CONFIG, kind, body)


def sent(request: Request) -> Any:
    assert request.body is not None
    return orjson.loads(request.body)


# -- ids and timeouts ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "   "])
def test_empty_id_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        check_id(bad)


@pytest.mark.parametrize("bad", [None, 3, b"id", ["x"]])
def test_non_string_id_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        check_id(bad)


def test_id_is_returned_unchanged() -> None:
    assert check_id(" b 1 ") == " b 1 "


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ("", "batch id '': it is empty"),
        ("   ", "batch id '   ': it is blank"),
        ("ab\udcff", "batch id 'ab\\xff': not UTF-8 text (at position 2)"),
        ("ab\ncd", "batch id 'ab\\ncd': a space or control character at position 2"),
        ("ab cd", "batch id 'ab cd': a space or control character at position 2"),
        ("ab\x00", "batch id 'ab\\x00': a space or control character at position 2"),
    ],
)
def test_a_typed_batch_id_is_refused_saying_why(bad: str, said: str) -> None:
    with pytest.raises(ValueError, match=r"^batch id ") as caught:
        check_batch_id(bad)
    assert str(caught.value) == said


@given(st.text(st.characters(categories=["L", "N", "Pd"]), min_size=1))
def test_a_batch_id_of_letters_digits_and_dashes_passes(batch_id: str) -> None:
    assert check_batch_id(batch_id) == batch_id


@pytest.mark.parametrize("bad", [-1, -0.001, math.nan, -math.inf])
def test_bad_timeouts(bad: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        check_timeout(bad)


@pytest.mark.parametrize("bad", ["10", True, [1]])
def test_timeout_types(bad: object) -> None:
    with pytest.raises(TypeError, match="timeout"):
        check_timeout(bad)


def test_timeout_values() -> None:
    assert check_timeout(None) is None
    assert check_timeout(0) == 0.0
    assert check_timeout(2.5) == 2.5
    assert check_timeout(math.inf) == math.inf
    assert type(check_timeout(3)) is float


# -- requests --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(JOBS))
def test_start_request_is_a_json_post_never_resent(kind: JobSpec[Any]) -> None:
    request = post(kind, {"k": [1, "é"]})
    assert request.method == "POST"
    assert request.url == "https://api.enrow.io" + kind.path
    assert (request.action, request.job) == (Action.START, kind)
    assert not request.idempotent
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-api-key"] == KEY
    assert sent(request) == {"k": [1, "é"]}
    assert KEY not in repr(request)


@pytest.mark.parametrize("kind", list(JOBS))
def test_read_request_asks_for_one_id(kind: JobSpec[Any]) -> None:
    request = read_request(CONFIG, kind, "a&b")
    assert (request.method, request.action, request.job) == ("GET", Action.READ, kind)
    assert request.url == f"https://api.enrow.io{kind.path}?id=a%26b"
    assert request.job_id == "a&b"
    assert request.idempotent
    assert request.body is None
    assert "content-type" not in request.headers


@pytest.mark.parametrize(("bad", "error"), [("", ValueError), (" ", ValueError), (7, TypeError)])
def test_read_request_checks_the_id(bad: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="batch id"):
        read_request(CONFIG, EMAIL_BULK, bad)


def test_account_request() -> None:
    request = account_request(CONFIG)
    assert (request.method, request.url) == ("GET", "https://api.enrow.io/account/info")
    assert (request.action, request.job, request.job_id) == (Action.ACCOUNT, None, None)
    assert request.idempotent
    assert request.headers["x-api-key"] == KEY


# -- email finder: bulk ----------------------------------------------------------------------


def test_mappings_and_objects_normalise_alike() -> None:
    searches = to_searches(
        [
            {"fullname": " Dwight Schrute ", "company_domain": "dundermifflin.com"},
            EmailSearch("Jim Halpert", company_name="Dunder Mifflin", custom={"crm": 7}),
            {"fullname": "Pam", "company_domain": "", "company_name": "DM", "custom": "x"},
        ]
    )
    assert searches == [
        EmailSearch("Dwight Schrute", "dundermifflin.com"),
        EmailSearch("Jim Halpert", None, "Dunder Mifflin", {"crm": 7}),
        EmailSearch("Pam", None, "DM", "x"),
    ]


def test_generators_are_read_once() -> None:
    searches = to_searches({"fullname": f"P {i}", "company_name": "X"} for i in range(3))
    assert [s.fullname for s in searches] == ["P 0", "P 1", "P 2"]
    assert to_searches([]) == []


@pytest.mark.parametrize(
    ("search", "error", "message"),
    [
        ({"company_domain": "x.com"}, ValueError, "search 1: fullname is required"),
        ({"fullname": "  ", "company_domain": "x.com"}, ValueError, "fullname is required"),
        ({"fullname": "A B"}, ValueError, "search 1: company_domain or company_name is required"),
        ({"fullname": "A B", "company_domain": " "}, ValueError, "company_domain or company_name"),
        ({"fullname": "A B", "domain": "x.com"}, ValueError, "unknown field"),
        ({"fullname": 5, "company_domain": "x.com"}, TypeError, "fullname must be a string"),
        ({"fullname": "A", "company_domain": "x", "custom": 3}, TypeError, "custom must be"),
        ("A B", TypeError, "expected an EmailSearch or a mapping"),
        (EmailSearch("A B", company_domain=7), TypeError, "search 1: company_domain must be"),  # type: ignore[arg-type]
    ],
)
def test_bad_search_names_position_and_problem(
    search: object, error: type[Exception], message: str
) -> None:
    good = {"fullname": "Ok", "company_domain": "ok.com"}
    with pytest.raises(error, match=message):
        to_searches([good, search])  # type: ignore[list-item]


def test_unknown_fields_are_listed_with_the_expected_ones() -> None:
    with pytest.raises(ValueError, match=re.escape("search 0: unknown field(s) domain, x;")) as e:
        to_searches([{"fullname": "A", "domain": "x.com", "x": 1}])
    assert str(e.value).endswith("expected company_domain, company_name, custom, fullname")


@pytest.mark.parametrize("single", ["Dwight", b"Dwight", {"fullname": "A"}, EmailSearch("A", "a")])
def test_single_value_is_not_a_list_of_searches(single: Any) -> None:
    with pytest.raises(TypeError, match="searches must be a sequence of searches"):
        to_searches(single)


def test_batch_size_bounds() -> None:
    one = to_searches([{"fullname": "A", "company_domain": "a.com"}])
    with pytest.raises(ValueError, match="1 to 5000"):
        email_bulk_body([], limit=MAX_BATCH)
    with pytest.raises(ValueError, match="1 to 5000"):
        email_bulk_body(one * (MAX_BATCH + 1), limit=MAX_BATCH)
    assert len(email_bulk_body(one * MAX_BATCH, limit=MAX_BATCH)["searches"]) == MAX_BATCH
    with pytest.raises(ValueError, match="a batch holds 1 to 2 searches, got 3"):
        email_bulk_body(one * 3, limit=2)


def test_bulk_body_carries_settings_and_custom() -> None:
    searches = to_searches([{"fullname": "A B", "company_name": "Acme", "custom": {"k": 1}}])
    body = email_bulk_body(
        searches,
        limit=MAX_BATCH,
        custom="campaign",
        webhook="https://hooks.example/x",
        country_code="fr",
        retrieve_gender=True,
    )
    request = post(EMAIL_BULK, body)
    assert request.url == "https://api.enrow.io/email/find/bulk"
    assert request.headers["content-type"] == "application/json"
    assert sent(request) == {
        "searches": [{"fullname": "A B", "company_name": "Acme", "custom": {"k": 1}}],
        "custom": "campaign",
        "settings": {
            "webhook": "https://hooks.example/x",
            "country_code": "FR",
            "retrieve_gender": True,
        },
    }
    assert KEY not in repr(request)


def test_bulk_body_without_options_is_only_searches() -> None:
    searches = to_searches([{"fullname": "A B", "company_domain": "a.com"}])
    body = email_bulk_body(searches, limit=MAX_BATCH, retrieve_gender=False)
    assert body == {"searches": [{"fullname": "A B", "company_domain": "a.com"}]}


@pytest.mark.parametrize(
    ("option", "value"),
    [("webhook", "ftp://x"), ("webhook", 3), ("country_code", "USA"), ("country_code", 33)],
)
def test_bad_settings(option: str, value: Any) -> None:
    searches = to_searches([{"fullname": "A B", "company_name": "Acme"}])
    with pytest.raises(ValueError, match=option):
        email_bulk_body(searches, limit=MAX_BATCH, **{option: value})


def test_bad_top_level_custom() -> None:
    searches = to_searches([{"fullname": "A B", "company_name": "Acme"}])
    with pytest.raises(TypeError, match=r"^custom: custom must be a string or a mapping$"):
        email_bulk_body(searches, limit=MAX_BATCH, custom=3)  # type: ignore[arg-type]


# -- email finder: single --------------------------------------------------------------------


def single(fullname: Any = "Jim Halpert", **kwargs: Any) -> dict[str, Any]:
    """The body as ``client.email.single.start`` builds it (custom inside the search)."""
    keys = ("company_domain", "company_name", "custom")
    search = {"fullname": fullname, **{k: kwargs.pop(k, None) for k in keys}}
    return email_single_body(search, **kwargs)


def test_find_body_with_every_option() -> None:
    body = single(
        " Jim Halpert ",
        company_domain="https://www.dundermifflin.com",
        company_name="Dunder Mifflin",
        custom={"crm": 12},
        webhook="https://hooks.example/s",
        country_code="fr",
        retrieve_gender=True,
    )
    request = post(EMAIL_SINGLE, body)
    assert request.method == "POST"
    assert request.url == "https://api.enrow.io/email/find/single"
    assert sent(request) == {
        "fullname": "Jim Halpert",
        "company_domain": "https://www.dundermifflin.com",
        "company_name": "Dunder Mifflin",
        "custom": {"crm": 12},
        "settings": {
            "webhook": "https://hooks.example/s",
            "country_code": "FR",
            "retrieve_gender": True,
        },
    }


def test_find_minimal_body() -> None:
    assert single("Jim Halpert", company_name="Dunder") == {
        "fullname": "Jim Halpert",
        "company_name": "Dunder",
    }


def test_find_body_from_an_email_search() -> None:
    search = EmailSearch("Jim", company_domain="d.com", custom="c")
    assert email_single_body(search) == {
        "fullname": "Jim",
        "company_domain": "d.com",
        "custom": "c",
    }


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"fullname": " "}, ValueError, "^search: fullname is required$"),
        ({"company_domain": None}, ValueError, "^search: company_domain or company_name is req"),
        ({"company_domain": "  "}, ValueError, "company_domain or company_name is required"),
        ({"country_code": "FRA"}, ValueError, "ISO 3166 alpha-2"),
        ({"webhook": "hooks.example"}, ValueError, "webhook must be an http"),
        ({"custom": 12}, TypeError, "^search: custom must be a string or a mapping$"),
        ({"fullname": 7}, TypeError, "^search: fullname must be a string, got int$"),
    ],
)
def test_find_checks(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    args: dict[str, Any] = {"fullname": "Jim Halpert", "company_domain": "d.com", **kwargs}
    with pytest.raises(error, match=match):
        single(**args)


@pytest.mark.parametrize(
    ("search", "error", "match"),
    [
        ({"fullname": "Jim", "domain": "d.com"}, ValueError, r"^search: unknown field\(s\) domain"),
        ("Jim", TypeError, "^search: expected an EmailSearch or a mapping, got str$"),
    ],
)
def test_find_checks_the_search_itself(search: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        email_single_body(search)


# -- email verifier --------------------------------------------------------------------------


def verify_bulk(emails: Any, **kwargs: Any) -> dict[str, Any]:
    return verify_bulk_body(emails, limit=VERIFY_BULK.limit, **kwargs)


def test_bulk_body_sends_objects_under_verifications() -> None:
    body = verify_bulk(
        ["a@x.com", {"email": " b@y.com ", "custom": {"row": 2}}, {"email": "c@z.com"}],
        custom="batch-1",
        webhook="https://hooks.example/v",
    )
    request = post(VERIFY_BULK, body)
    assert request.method == "POST"
    assert request.url == "https://api.enrow.io/email/verify/bulk"
    assert request.headers["content-type"] == "application/json"
    assert sent(request) == {
        "verifications": [
            {"email": "a@x.com"},
            {"email": "b@y.com", "custom": {"row": 2}},
            {"email": "c@z.com"},
        ],
        "custom": "batch-1",
        "settings": {"webhook": "https://hooks.example/v"},
    }


def test_plain_strings_and_mappings_give_the_same_body() -> None:
    plain = verify_bulk(["a@x.com", "b@y.com"])
    mapped = verify_bulk([{"email": "a@x.com"}, {"email": "b@y.com"}])
    assert plain == mapped
    assert "emails" not in plain
    assert plain == {"verifications": [{"email": "a@x.com"}, {"email": "b@y.com"}]}


def test_generator_input_and_the_5000_limit() -> None:
    body = verify_bulk(f"u{i}@x.com" for i in range(5000))
    assert len(body["verifications"]) == 5000
    with pytest.raises(ValueError, match="1 to 5000 emails, got 5001"):
        verify_bulk([f"u{i}@x.com" for i in range(5001)])
    with pytest.raises(ValueError, match=r"^a bulk verification holds 1 to 5000 emails, got 0$"):
        verify_bulk([])


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ("", "email 1: expected an email address"),
        ("   ", "email 1: expected an email address"),
        ("no-at-sign", "email 1: expected an email address containing '@'"),
        ({"email": None}, "email 1: expected an email address"),
        ({"mail": "a@x.com"}, r"email 1: unknown field\(s\) mail"),
        ({"mail": "a@x.com"}, r"expected custom, email$"),
    ],
)
def test_bad_address_names_its_position(item: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        verify_bulk(["ok@x.com", item])


@pytest.mark.parametrize(
    ("emails", "match"),
    [
        (["ok@x.com", 42], "email 1: email must be a string"),
        (["ok@x.com", {"email": "a@x.com", "custom": 3}], "email 1: custom must be"),
        ("a@x.com", "not a single value"),
        ({"email": "a@x.com"}, "^emails must be a sequence of emails, not a single value$"),
    ],
)
def test_wrong_types_refused(emails: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        verify_bulk(emails)


@pytest.mark.parametrize("webhook", ["ftp://x", "not a url", 3])
def test_bad_webhook_refused(webhook: Any) -> None:
    with pytest.raises(ValueError, match="webhook must be an http"):
        verify_bulk(["a@x.com"], webhook=webhook)


def test_single_verification_body() -> None:
    body = verify_single_body(" a@x.com", custom={"k": 1}, webhook="https://h.example")
    assert post(VERIFY_SINGLE, body).url.endswith("/email/verify/single")
    assert body == {
        "email": "a@x.com",
        "custom": {"k": 1},
        "settings": {"webhook": "https://h.example"},
    }
    assert verify_single_body("a@x.com") == {"email": "a@x.com"}
    with pytest.raises(ValueError, match="email: expected an email address"):
        verify_single_body("nobody")
    with pytest.raises(TypeError, match=r"^custom: custom must be"):
        verify_single_body("a@x.com", custom=1.5)  # type: ignore[arg-type]


# -- phone finder ----------------------------------------------------------------------------


def phone_bulk(searches: Any, **kwargs: Any) -> dict[str, Any]:
    return phone_bulk_body(searches, limit=PHONE_BULK.limit, **kwargs)


def test_phone_bulk_body() -> None:
    body = phone_bulk(
        [
            {"linkedin_url": LINKEDIN, "custom": "r0"},
            PhoneSearch(firstname=" Jim ", lastname="Halpert", company_domain="dunder.com"),
            {"firstname": "Pam", "lastname": "Beesly", "company_name": "Dunder", "custom": {}},
        ],
        custom={"campaign": 7},
        webhook="https://hooks.example/p",
    )
    request = post(PHONE_BULK, body)
    assert request.method == "POST"
    assert request.url == "https://api.enrow.io/phone/bulk"
    assert sent(request) == {
        "searches": [
            {"linkedin_url": LINKEDIN, "custom": "r0"},
            {"firstname": "Jim", "lastname": "Halpert", "company_domain": "dunder.com"},
            {"firstname": "Pam", "lastname": "Beesly", "company_name": "Dunder", "custom": {}},
        ],
        "custom": {"campaign": 7},
        "settings": {"webhook": "https://hooks.example/p"},
    }


def test_phone_limit_is_5000() -> None:
    searches = [{"linkedin_url": f"{LINKEDIN}-{i}"} for i in range(5001)]
    assert len(phone_bulk(searches[:5000])["searches"]) == 5000
    with pytest.raises(ValueError, match="1 to 5000 searches, got 5001"):
        phone_bulk(searches)
    with pytest.raises(ValueError, match=r"^a phone bulk holds 1 to 5000 searches, got 0$"):
        phone_bulk([])


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ({}, "search 1: linkedin_url, or firstname and lastname, is required"),
        ({"linkedin_url": "  "}, "search 1: linkedin_url, or firstname and lastname"),
        ({"firstname": "Jim", "company_domain": "d.com"}, "search 1: linkedin_url, or first"),
        ({"firstname": "Jim", "lastname": "H"}, "search 1: company_domain or company_name"),
        ({"first_name": "Jim"}, r"search 1: unknown field\(s\) first_name"),
        (
            {"first_name": "Jim"},
            "expected company_domain, company_name, custom, firstname, lastname, linkedin_url$",
        ),
    ],
)
def test_bad_phone_search_names_its_position(item: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        phone_bulk([{"linkedin_url": LINKEDIN}, item])


@pytest.mark.parametrize(
    ("searches", "match"),
    [
        ([{"linkedin_url": 5}], "search 0: linkedin_url must be a string"),
        (["jim"], "search 0: expected a PhoneSearch or a mapping"),
        ([{"linkedin_url": LINKEDIN, "custom": 1.5}], "search 0: custom must be"),
        ({"linkedin_url": LINKEDIN}, "not a single value"),
        (PhoneSearch(LINKEDIN), "not a single value"),
        ([PhoneSearch(LINKEDIN, custom=2)], "search 0: custom must be"),  # type: ignore[arg-type]
    ],
)
def test_wrong_phone_types_refused(searches: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        phone_bulk(searches)


def test_phone_bulk_bad_webhook() -> None:
    with pytest.raises(ValueError, match="webhook must be an http"):
        phone_bulk([{"linkedin_url": LINKEDIN}], webhook="hooks.example")


def test_single_phone_body_puts_custom_top_level() -> None:
    body = phone_single_body(PhoneSearch(LINKEDIN, custom="lead-9"), webhook="https://h.example")
    assert post(PHONE_SINGLE, body).url.endswith("/phone/single")
    assert body == {
        "linkedin_url": LINKEDIN,
        "custom": "lead-9",
        "settings": {"webhook": "https://h.example"},
    }
    assert phone_single_body({"linkedin_url": f" {LINKEDIN} "}) == {"linkedin_url": LINKEDIN}
    with pytest.raises(ValueError, match=r"^search: linkedin_url, or firstname"):
        phone_single_body(PhoneSearch(firstname="Jim"))


# -- properties ------------------------------------------------------------------------------

texts = st.none() | st.text(max_size=6) | st.integers(0, 3)
email_items = st.dictionaries(
    st.sampled_from(["fullname", "company_domain", "company_name", "custom", "other"]), texts
)
phone_items = st.dictionaries(
    st.sampled_from(["linkedin_url", "firstname", "lastname", "company_domain", "custom", "x"]),
    texts,
)


def check_email_searches(items: list[Any], searches: list[EmailSearch]) -> None:
    assert len(searches) == len(items)
    for search in searches:
        assert search.fullname
        assert search.fullname == search.fullname.strip()
        assert search.company_domain or search.company_name


def check_phone_body(items: list[Any], body: dict[str, Any]) -> None:
    assert len(body["searches"]) == len(items)
    for wire in body["searches"]:
        assert "linkedin_url" in wire or {"firstname", "lastname"} <= set(wire)


@pytest.mark.parametrize(
    ("items", "build", "refusal", "check"),
    [
        pytest.param(email_items, to_searches, r"search \d: ", check_email_searches, id="email"),
        pytest.param(
            phone_items,
            phone_bulk,
            r"(search \d: |a phone bulk holds)",
            check_phone_body,
            id="phone",
        ),
    ],
)
@given(data=st.data())
def test_any_searches_are_checked_or_refused_by_position(
    items: st.SearchStrategy[Any],
    build: Callable[[Any], Any],
    refusal: str,
    check: Callable[[list[Any], Any], None],
    data: st.DataObject,
) -> None:
    drawn = data.draw(st.lists(items, max_size=5))
    try:
        built = build(drawn)
    except (ValueError, TypeError) as exc:
        refused = str(exc)
    else:
        check(drawn, built)
        return
    assert re.match(refusal, refused), refused
