"""agent_os_otel.redaction: the corpus, attribute keys, user patterns, and properties for any text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_os_otel.redaction import Redactor

CORPUS = Path(__file__).parent / "corpus"


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


SECRETS = _load("secrets.jsonl")
NEAR_MISSES = [row["text"] for row in _load("near_misses.jsonl")]
REDACTOR = Redactor()

# Every category the module promises to catch, as the kind written in the marker.
PROMISED_KINDS = {
    "openai_key", "anthropic_key", "aws_access_key", "aws_secret_key", "github_token", "gitlab_token",
    "slack_token", "slack_webhook", "google_api_key", "google_oauth_token", "bearer", "basic_auth", "jwt",
    "private_key", "url_password", "password", "secret", "token", "api_key", "cookie", "card_number",
}


def _id(row: dict) -> str:
    return f"{row['kind']}:{row['text'][:40]}"


# -- the corpus ----------------------------------------------------------------------------------


def test_corpus_is_large_and_covers_every_category():
    assert len(SECRETS) >= 100
    assert len(NEAR_MISSES) >= 100
    assert {row["kind"] for row in SECRETS} >= PROMISED_KINDS
    for row in SECRETS:
        assert row["secret"] and row["secret"] in row["text"], row


@pytest.mark.parametrize("row", SECRETS, ids=_id)
def test_corpus_secret_is_redacted_in_text(row):
    out = REDACTOR.redact(row["text"])
    assert row["secret"] not in out
    assert f"[REDACTED:{row['kind']}]" in out
    assert REDACTOR.redact(out) == out


@pytest.mark.parametrize("row", SECRETS, ids=_id)
def test_corpus_secret_is_redacted_in_a_list_or_tuple_value(row):
    clean = "nothing to see here"
    for value in ([clean, row["text"]], (row["text"], clean)):
        out = REDACTOR.redact_value(value)
        assert type(out) is type(value)
        assert len(out) == 2
        (secret_out,) = [item for item in out if item is not clean]
        assert clean in out
        assert row["secret"] not in secret_out
        assert "[REDACTED:" in secret_out


@pytest.mark.parametrize("row", SECRETS, ids=_id)
def test_corpus_secret_is_redacted_as_an_attribute_value(row):
    attributes = {"log.message": row["text"], "gen_ai.usage.input_tokens": 512, "gen_ai.system": "openai"}
    out = REDACTOR.redact_attributes(attributes)
    assert out is not attributes
    assert attributes["log.message"] == row["text"]  # the caller's mapping is not mutated
    assert row["secret"] not in out["log.message"]
    assert "[REDACTED:" in out["log.message"]
    assert out["gen_ai.usage.input_tokens"] == 512
    assert out["gen_ai.system"] == "openai"


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_miss_is_returned_as_the_same_object(text):
    assert Redactor().redact(text) is text
    value = [text, "plain"]
    assert REDACTOR.redact_value(value) is value
    attributes = {"log.message": text, "count": 3}
    assert REDACTOR.redact_attributes(attributes) is attributes


# -- value-only replacement, worked examples -------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ('curl -H "Authorization: Bearer abc123def456ghi" https://x.test',
         'curl -H "Authorization: Bearer [REDACTED:bearer]" https://x.test'),
        ('{"password": "hunter2", "user": "bob"}', '{"password": "[REDACTED:password]", "user": "bob"}'),
        ("postgres://app:pw123@db:5432/x", "postgres://app:[REDACTED:url_password]@db:5432/x"),
        ("OPENAI_API_KEY=sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12", "OPENAI_API_KEY=[REDACTED:openai_key]"),
        ("key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED:aws_access_key] used"),
        ("a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAKCAQ\n-----END RSA PRIVATE KEY-----\nb",
         "a\n[REDACTED:private_key]\nb"),
        ("paid with 4111-1111-1111-1111 today", "paid with [REDACTED:card_number] today"),
        ("Cookie: sid=abc123; theme=dark", "Cookie: [REDACTED:cookie]"),
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX", "https://hooks.slack.com/services/[REDACTED:slack_webhook]"),
    ],
)
def test_only_the_secret_is_replaced(text, expected):
    assert REDACTOR.redact(text) == expected


def test_luhn_decides_between_card_and_number():
    assert REDACTOR.redact("card 4111 1111 1111 1111") == "card [REDACTED:card_number]"
    text = "card 4111 1111 1111 1112"
    assert REDACTOR.redact(text) is text


def test_clean_text_is_the_same_object_and_empty_text_is_fine():
    text = "plan step 3"
    assert REDACTOR.redact(text) is text
    assert REDACTOR.redact(text) is text  # also when remembered as clean
    assert REDACTOR.redact("") == ""


# -- attributes: keys that name a secret -----------------------------------------------------------


@pytest.mark.parametrize(
    "key, kind",
    [
        ("password", "password"), ("db.password", "password"), ("user_passwd", "password"),
        ("http.request.header.authorization", "authorization"), ("Authorization", "authorization"),
        ("secret", "secret"), ("client_secret", "secret"), ("oauth.clientSecret", "secret"),
        ("api_key", "api_key"), ("apikey", "api_key"), ("x-api-key", "api_key"),
        ("http.request.header.x-api-key", "api_key"), ("OPENAI_API_KEY", "api_key"),
        ("access_token", "token"), ("refresh_token", "token"), ("auth_token", "token"), ("accessToken", "token"),
        ("cookie", "cookie"), ("set-cookie", "cookie"), ("http.response.header.set-cookie", "cookie"),
        ("private_key", "private_key"), ("aws_secret_access_key", "aws_secret_key"),
    ],
)
def test_a_secret_key_replaces_its_whole_string_value(key, kind):
    attributes = {key: "no recognisable format here", "agent_os.agent.id": "planner"}
    out = REDACTOR.redact_attributes(attributes)
    assert out == {key: f"[REDACTED:{kind}]", "agent_os.agent.id": "planner"}
    assert attributes[key] == "no recognisable format here"
    assert REDACTOR.redact_attributes(out) is out


@pytest.mark.parametrize(
    "key",
    ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "token_count", "max_tokens",
     "gen_ai.request.max_tokens", "token", "eos_token", "password_reset_count", "secret_name", "tokenizer",
     "api_key_id", "cookie_consent", "keyboard"],
)
def test_keys_that_merely_mention_a_secret_word_are_not_secret(key):
    attributes = {key: "256", "other": 7}
    assert REDACTOR.redact_attributes(attributes) is attributes


def test_non_string_values_under_secret_keys_are_never_replaced():
    attributes = {"password": 1234, "api_key": True, "cookie": 1.5, "access_token": None, "secret": b"raw"}
    assert REDACTOR.redact_attributes(attributes) is attributes


def test_string_arrays_under_secret_keys_are_replaced_item_by_item():
    out = REDACTOR.redact_attributes({"http.request.header.authorization": ["Bearer abc", "Basic xyz"],
                                      "http.response.header.set-cookie": ("a=1", "b=2")})
    assert out == {"http.request.header.authorization": ["[REDACTED:authorization]"] * 2,
                   "http.response.header.set-cookie": ("[REDACTED:cookie]",) * 2}


def test_empty_and_missing_attributes():
    assert REDACTOR.redact_attributes(None) is None
    empty: dict = {}
    assert REDACTOR.redact_attributes(empty) is empty
    attributes = {"password": ""}
    assert REDACTOR.redact_attributes(attributes) is attributes


def test_redact_value_leaves_other_types_alone():
    for value in (42, 1.5, True, None, b"password=hunter2", {"password": "hunter2"}):
        assert REDACTOR.redact_value(value) is value
    items = ["plain", 3]
    assert REDACTOR.redact_value(items) is items
    assert REDACTOR.redact_value(["password=hunter2", 3]) == ["password=[REDACTED:password]", 3]


# -- the user's extra patterns ---------------------------------------------------------------------


def test_extra_patterns_replace_the_whole_match():
    redactor = Redactor([r"acct-[0-9]{8}", r"EMP\d{5}"])
    assert redactor.redact("from acct-12345678 to EMP00042.") == "from [REDACTED:custom] to [REDACTED:custom]."
    text = "from acct-12345678"
    assert REDACTOR.redact(text) is text  # not a built-in pattern


def test_an_invalid_extra_pattern_names_the_pattern_and_the_error():
    with pytest.raises(ValueError) as caught:
        Redactor([r"acct-[0-9]{8}", "(abc"])
    assert str(caught.value) == (
        "redaction pattern '(abc' does not compile: missing ), unterminated subpattern at position 0"
        " — fix the regular expression"
    )


def test_extra_patterns_that_match_nothing_or_marker_text_stay_idempotent():
    empty_matcher = Redactor(["x*"])
    assert empty_matcher.redact("abc") == "abc"
    assert empty_matcher.redact("axxb") == "a[REDACTED:custom]b"
    marker_matcher = Redactor(["REDACTED", r"\["])
    out = marker_matcher.redact("password=hunter2 [REDACTED")
    assert out == "password=[REDACTED:password] [REDACTED:custom][REDACTED:custom]"
    assert marker_matcher.redact(out) == out


# -- properties for any text -----------------------------------------------------------------------

PROPERTY_REDACTORS = (Redactor(), Redactor([r"acct-[0-9]{4}", "x+"]))
FRAGMENTS = [
    "password=", "token: ", "Authorization: ", "Cookie: ", "Bearer ", "[REDACTED:x]", "[REDACTED:", "://u:", "@",
    '"', "'", "\\", '\\"', "--password ", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
    "sk-", "eyJ", "AKIA", "4111 ", "\n", " ", ";", "=", ":",
]
pieces = st.one_of(
    st.sampled_from([row["text"] for row in SECRETS]),
    st.sampled_from([row["secret"] for row in SECRETS]),
    st.sampled_from(NEAR_MISSES),
    st.sampled_from(FRAGMENTS),
    st.text(max_size=12),
)
mixed_text = st.lists(pieces, max_size=6).map("".join)


def _assert_properties(text: str) -> None:
    for redactor in PROPERTY_REDACTORS:
        out = redactor.redact(text)  # never raises
        assert isinstance(out, str)
        assert redactor.redact(out) == out  # idempotent
        assert (out is text) == (out == text)  # unchanged means the very same object


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_properties_hold_for_any_text(text):
    _assert_properties(text)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_text)
def test_properties_hold_for_corpus_pieces_mixed_with_random_text(text):
    _assert_properties(text)


# No digits, no uppercase, none of - _ : = . / @: no built-in rule can match, so nothing may change.
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,;!?()\n\t'\"éß", max_size=300))
def test_text_no_rule_can_match_is_returned_as_is(text):
    assert Redactor().redact(text) is text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(SECRETS), min_size=1, max_size=4, unique_by=lambda row: row["text"]),
    st.lists(st.sampled_from(NEAR_MISSES), max_size=3),
    st.sampled_from(["\n", " ", " | ", "\t", "; ", ", "]),
    st.randoms(use_true_random=False),
)
def test_secrets_are_removed_from_lines_joined_together(rows, near_misses, separator, rnd):
    lines = [row["text"] for row in rows]
    lines += [text for text in near_misses if not any(row["secret"] in text for row in rows)]
    rnd.shuffle(lines)
    out = REDACTOR.redact(separator.join(lines))
    for row in rows:
        assert row["secret"] not in out, row
