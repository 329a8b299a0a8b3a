"""In-process secret redaction, applied to every signal before it leaves the process.

A secret is replaced by ``[REDACTED:<kind>]``. The text around it stays; for ``key=value``,
``key: value``, JSON ``"key": "value"`` and header forms only the value is replaced, so a reader
still sees *which* field held a secret. Stdlib only.

Cost model (this runs on every exported attribute and log line). Clean text, by far the common
case, costs one ``str.lower()``, about twenty ``in`` tests for trigger substrings, and a digit
count; a rule's regex runs only when one of its triggers occurs (card numbers: when the text holds
13 or more digits). Short clean strings, which repeat a lot as attribute values, are remembered
in a bounded set. Every quantifier is bounded and no repetition is nested inside another
unbounded one, so no input makes a pattern backtrack catastrophically. Case-insensitive rules
run case-sensitively on the lowered text (several times faster in ``re``) and replace by position.

For any ``str``, ``redact`` never raises, returns the *same object* when nothing was replaced,
and is idempotent. Idempotence holds by construction: no rule ever replaces (part of) an existing
``[REDACTED:...]`` marker (a value running into one is cut short before it), and ``redact``
repeats its pass until a pass changes nothing. Each changing pass turns at least one unmarked
character into part of a marker, so the loop ends; in practice one pass redacts and a second one
confirms.

Deliberately not caught: secrets with no recognisable format *and* no telling key (a bare
40-character AWS secret key, a password in prose); ``-p hunter2`` short CLI flags; in unquoted
``key=value`` form, a password is redacted only up to its first space, quote, comma, semicolon,
``&``, ``)`` or ``}``; card numbers whose first digit is not 2-6; and, the other way round, a
Luhn-valid 13-19 digit number starting with 2-6 is redacted even when it is not a card.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

__all__ = ["Redactor", "active_redactor", "configure_from_settings", "configure_redaction"]

MARKER_PREFIX = "[REDACTED:"
_MARKER_RE = re.compile(r"\[REDACTED:[a-z0-9_]+\]")
_LOWERED_MARKER_RE = re.compile(r"\[redacted:[a-z0-9_]+\]")

# A value that is a placeholder, an environment reference, already masked, or a literal is
# configuration, not a secret: <your key here>, ${OPENAI_API_KEY}, $OPENAI_API_KEY, {{ secret }},
# %(password)s, ********, xxxx, [REDACTED], true/false/null.
_PLACEHOLDER = re.compile(
    r"""<  |  \$\{  |  \$[A-Z_][A-Z0-9_]{0,64}$  |  \{\{  |  %\(  |  \*{3}  |  [xX]{4}  |  \[REDACTED
      | (?i:true|false|null|none|nil|undefined)$""",
    re.ASCII | re.VERBOSE,
)


class _Rule(NamedTuple):
    """One rule, compiled: a row of the table (`_Spec`) or a user pattern.

    The replaced span is the named group ``s`` when the pattern has one, else the whole match.
    ``check(match, secret)`` returns the kind to write, or None to leave this match alone.
    ``lowered`` rules are written in lowercase and run on ``text.lower()`` (fast); their
    ``pattern_ci`` twin (IGNORECASE) runs on the text itself when lowering changed its length.
    """

    kind: str
    pattern: re.Pattern
    triggers: tuple[str, ...] = ()  # lowercase substrings, one must occur; () = run on every text
    check: Callable[[re.Match, str], str | None] | None = None
    lowered: bool = False
    pattern_ci: re.Pattern | None = None
    gate: Callable[[str], bool] | None = None  # a cheap test that must pass before the regex runs


class _Spec(NamedTuple):
    """A row of the rule table as written; `compile` makes the `_Rule` that runs.

    The table is compiled at the first redaction, not at import: compiling it takes about 4 ms, which
    every process would otherwise pay at start-up, whether it ever redacts anything or not.
    """

    kind: str
    regex: str
    triggers: tuple[str, ...]
    check: Callable[[re.Match, str], str | None] | None
    lowered: bool
    gate: Callable[[str], bool] | None

    def compile(self) -> _Rule:
        flags = re.ASCII | re.VERBOSE  # ASCII: predictable \s and \w
        pattern_ci = re.compile(self.regex, flags | re.IGNORECASE) if self.lowered else None
        return _Rule(self.kind, re.compile(self.regex, flags), self.triggers, self.check, self.lowered, pattern_ci,
                     self.gate)


def _rule(kind: str, regex: str, triggers: tuple[str, ...] = (), check=None, *, lowered: bool = False,
          gate=None) -> _Spec:
    return _Spec(kind, regex, triggers, check, lowered, gate)


# -- checks: veto a match, or choose its kind ---------------------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(m: re.Match, secret: str) -> str | None:
    # Only Luhn-valid numbers are cards; order ids, phone numbers and timestamps mostly are not.
    return "card_number" if _luhn_ok(secret.replace(" ", "").replace("-", "")) else None


_DIGITS = b"0123456789"


def _enough_digits_for_a_card(text: str) -> bool:
    data = text.encode("ascii", "ignore")
    return len(data) - len(data.translate(None, _DIGITS)) >= 13


_has_digit = re.compile(r"[0-9]").search
_has_upper = re.compile(r"[A-Z]").search


def _random_token(kind: str):
    # Real tokens are random: mixed case and digits. "sk-learn-compatible-estimators" is a slug.
    def check(m: re.Match, secret: str) -> str | None:
        return kind if _has_digit(secret) and _has_upper(secret) else None

    return check


def _token_with_digit(kind: str):
    # After "Bearer " or "xoxb-", English words have no digits and real tokens always do.
    def check(m: re.Match, secret: str) -> str | None:
        return kind if _has_digit(secret) else None

    return check


def _key_kind(key: str, value: str) -> str | None:
    """The kind for a value found under `key` (lowercase): the value's own format if it has one."""
    if _PLACEHOLDER.match(value):
        return None
    specific = _classify(value)
    if specific:
        return specific
    if key.endswith(("word", "wd", "phrase")):
        return "password"
    if "access" in key:
        return "aws_secret_key" if "secret" in key else "api_key"
    if "secret" in key:
        return "secret"
    if "api" in key:
        return "api_key"
    if "private" in key:
        return "private_key"
    # "token" also names an LLM token ({"token": "Hello"}) or a count (token: 512): only a value
    # that looks like a credential counts.
    return "token" if len(value) >= 8 and _has_digit(value) else None


def _kv(m: re.Match, secret: str) -> str | None:
    return _key_kind(m.group("key").lower(), secret)


def _cli_flag(m: re.Match, secret: str) -> str | None:
    if secret.startswith("-"):  # --password --verbose: the next flag, not a value
        return None
    return _key_kind(m.group("key").lower(), secret)


def _auth_header(m: re.Match, secret: str) -> str | None:
    if _PLACEHOLDER.match(secret):
        return None
    scheme = (m.group("scheme") or "").lower()
    return {"bearer": "bearer", "basic": "basic_auth"}.get(scheme, "authorization")


def _unless_placeholder(kind: str):
    def check(m: re.Match, secret: str) -> str | None:
        return None if _PLACEHOLDER.match(secret) else kind

    return check


# -- the rule table -----------------------------------------------------------------------------
#
# Literal-first patterns let `re` jump straight to candidates; a look-behind placed *after* the
# literal (e.g. ``sk-(?<![\w-]sk-)``) checks that the token is not the tail of a longer word.

# Token formats. Besides finding secrets in free text they classify the value of a key=value
# pair, so OPENAI_API_KEY=sk-... reads [REDACTED:openai_key] rather than [REDACTED:api_key].
_FORMAT_RULES: tuple[_Spec, ...] = (
    # Anthropic before OpenAI: both start with "sk-".
    _rule("anthropic_key", r"sk-ant-(?<![\w-]sk-ant-)[a-z]{2,10}[0-9]{0,3}-[\w-]{20,512}", ("sk-",)),
    # sk-..., sk-proj-..., sk-svcacct-..., sk-admin-...
    _rule("openai_key", r"sk-(?<![\w-]sk-)[\w-]{20,512}", ("sk-",), _random_token("openai_key")),
    # Access key ids are exactly 20 characters; a longer or shorter run is something else.
    _rule("aws_access_key", r"A[KS]IA(?<![A-Za-z0-9]A[KS]IA)[A-Z0-9]{16}(?![A-Za-z0-9])", ("akia", "asia")),
    _rule("github_token", r"g(?<![\w-]g)(?:h[pousr]_[A-Za-z0-9]{36,255}|ithub_pat_[A-Za-z0-9_]{22,255})",
          ("gh", "github_pat_")),
    _rule("gitlab_token", r"glpat-(?<![\w-]glpat-)[\w-]{20,128}(?:\.[\w-]{1,64}){0,2}", ("glpat-",)),
    _rule("slack_token", r"x(?<![\w-]x)(?:ox[abposre]|app)-[A-Za-z0-9-]{10,250}", ("xox", "xapp-"),
          _token_with_digit("slack_token")),
    _rule("google_api_key", r"AIza(?<![\w-]AIza)[\w-]{35}(?![\w-])", ("aiza",)),
    _rule("google_oauth_token", r"ya29\.(?<![\w-]ya29\.)[\w.-]{20,2048}(?<!\.)", ("ya29.",)),
    # header.payload.signature: both JSON parts start with '{"', base64url "eyJ". The signature
    # may be empty (alg "none").
    _rule("jwt", r"eyJ(?<![\w-]eyJ)[\w-]{5,4096}\.eyJ[\w-]{5,16384}\.[\w-]{0,4096}", ("eyj",)),
)


_FORMAT_STARTS = ("sk-", "AKIA", "ASIA", "gh", "github_pat_", "glpat-", "xox", "xapp-", "AIza", "ya29.", "eyJ")


@lru_cache(maxsize=1)
def _format_rules() -> tuple[_Rule, ...]:
    return tuple(spec.compile() for spec in _FORMAT_RULES)


@lru_cache(maxsize=1)
def _builtin_rules() -> tuple[_Rule, ...]:
    return tuple(spec.compile() for spec in _RULES)


def _classify(value: str) -> str | None:
    if not value.startswith(_FORMAT_STARTS):  # cheap: most values have no token format
        return None
    for rule in _format_rules():
        m = rule.pattern.fullmatch(value)
        if m:
            kind = rule.kind if rule.check is None else rule.check(m, value)
            if kind:
                return kind
    return None


# A value after a key: quoted (also \"...\" inside a JSON string, ending at the same quote) or bare.
# A bare value that is itself "key: " is the next field, not a value (password: user: bob).
_VALUE = r"""(?P<q>\\?["'])?
    (?P<s>(?(q) (?:(?!(?P=q))[^\r\n\\]|\\[^"'\r\n]){1,1024}
              | (?![\w.-]{1,64}:[ \t]) [^\s"',;&)}\\]{1,1024} ))"""

# A separator after a key: optional closing quote of a quoted key (and bracket, as in
# config['SECRET_KEY'] = ...), then = or :
_SEP = r"""(?![\w.-]) (?:\\?["'])? \]? [ \t]{0,3}[:=][ \t]{0,3}"""

_SCHEMES = r"(?:bearer|basic|digest|token|bot|negotiate|ntlm|apikey|sso-key|aws4-hmac-sha256)"

# Order matters: context rules first (a PEM block, a URL, a header or a key=value pair is redacted
# as a whole before a token inside it could be redacted on its own and split the value), then the
# token formats, then bare Bearer and card numbers. User patterns run last.
_RULES: tuple[_Spec, ...] = (
    # PEM private keys, multi-line or with escaped "\n" inside JSON. If the END line is missing
    # (a truncated line), the base64 lines after BEGIN go anyway, but not the prose after them.
    _rule("private_key", r"""-----BEGIN[A-Z0-9 ]{0,40}PRIVATE\ KEY(?:\ BLOCK)?-----
              (?: [A-Za-z0-9+/=\s\\:,.-]{1,20000}? -----END[A-Z0-9 ]{0,40}PRIVATE\ KEY(?:\ BLOCK)?-----
                | (?:(?:\s|\\[rn]){1,4}[A-Za-z0-9+/=]{16,4096}){0,400} )""", ("--",)),
    # scheme://user:password@host: keep user and host. The password may itself hold a raw '@'
    # (greedy, then back to the last '@' before the host).
    _rule("url_password", r"""://(?<=[A-Za-z0-9]://) [^\s:/?#@\[\]"'<>]{0,256} :
              (?P<s>[^\s/?#"'<>]{1,256}) @""", ("://",), _unless_placeholder("url_password")),
    # Authorization: <scheme> <credentials>: keep the scheme. A scheme alone is not a secret.
    _rule("authorization", r"""authorization""" + _SEP + r""" (?P<q>\\?["'])?
              (?:(?P<scheme>""" + _SCHEMES + r""")[ \t]{1,3})?
              (?!""" + _SCHEMES + r"""(?:\s|["'\\]|$))
              (?P<s>(?(q)[^\r\n"'\\]{1,4096}|[^\s"',;\\]{1,4096}))""",
          ("authorization",), _auth_header, lowered=True),
    # Cookie / Set-Cookie: every cookie in the header (name=value; name=value; Path=/; HttpOnly),
    # or up to the closing quote when quoted. A "key:" after a ';' starts another field.
    _rule("cookie", r"""cookie""" + _SEP + r""" (?P<q>\\?["'])?
              (?P<s>(?(q)[^\r\n"'\\]{1,4096}
                        |[^\s;,=:"'\\]{1,256}=[^\s;,"'\\]{0,1024}
                         (?:;[ \t]{0,2}[^\s;,=:"'\\]{1,256}(?:=[^\s;,"'\\]{0,1024})?(?=[\s;,"'\\]|$)){0,64}))""",
          ("cookie",), _unless_placeholder("cookie"), lowered=True),
    # key=value, key: value, "key": "value", 'key': 'value', \"key\": \"value\", for keys that END
    # in a secret word: db_password, OPENAI_API_KEY, x-api-key, client_secret, refresh_token,
    # aws_secret_access_key, accessToken. The key must end there: token_count, max_tokens and
    # password_reset are not keys. Matching starts at the secret word, which keeps the scan cheap.
    # A secret word right after a path separator names a file, not a key (/etc/passwd: no such file).
    _rule("password", r"""(?<![/\\])(?P<key> pass(?:word|wd|phrase)
                                  | secret(?:[_-]?access[_-]?key|[_-]?key)?
                                  | access[_-]?key | api[_-]?key | private[_-]?key | token )"""
          + _SEP + _VALUE, ("pass", "secret", "key", "token"), _kv, lowered=True),
    # --password hunter2, --db-password 'x', --api-key sk-..., and as an argv list:
    # ['psql', '--password', 'x']. CLI flags show up in tool arguments.
    _rule("password", r"""--(?P<key>(?:[a-z0-9]{1,20}-){0,3}
                                    (?:password|passwd|passphrase|secret|token|api-?key|access-key
                                      |secret-key|private-key))
              (?![\w.-]) (?:\\?["'][ \t]{0,3},[ \t]{0,3}|[ \t]{1,3}) """ + _VALUE, ("--",), _cli_flag, lowered=True),
    _rule("slack_webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]{8,300})",
          ("hooks.slack.com",)),
    *_FORMAT_RULES,
    # A bare "Bearer <token>" outside a header.
    _rule("bearer", r"bearer(?<![\w-]bearer)[ \t]{1,3}(?P<s>[a-z0-9._~+/-]{8,4096}=*)", ("bearer",),
          _token_with_digit("bearer"), lowered=True),
    # 13-19 digits, a single space or dash allowed between digits, first digit 2-6 (Mastercard
    # 2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay 6): epoch timestamps (1...) never qualify.
    # Not part of a longer number, a word, a decimal or a +country code.
    _rule("card_number", r"""[2-6](?<![\w.+-].)(?<![0-9][ -].)
              (?:[ -]?[0-9]){12,18}
              (?![\w]|[ -][0-9]|\.[0-9])""", (), _card, gate=_enough_digits_for_a_card),
)

_ALL_TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(t for r in _RULES for t in r.triggers))

# -- attribute keys that name a secret -----------------------------------------------------------

# (name, kind), most specific first, matched against the last dotted segment of an attribute key
# in snake_case, exactly or as a "_<name>" suffix: db.password, x-api-key, clientSecret,
# http.request.header.authorization. No bare "token": gen_ai.usage.input_tokens, token_count,
# max_tokens and eos_token are not secrets.
_SECRET_KEY_NAMES: tuple[tuple[str, str], ...] = (
    ("secret_access_key", "aws_secret_key"),
    ("authorization", "authorization"),
    ("password", "password"), ("passwd", "password"), ("passphrase", "password"),
    ("secret", "secret"), ("secret_key", "secret"), ("credentials", "secret"),
    ("api_key", "api_key"), ("apikey", "api_key"),
    ("access_token", "token"), ("refresh_token", "token"), ("auth_token", "token"), ("id_token", "token"),
    ("session_token", "token"), ("security_token", "token"), ("bearer_token", "token"),
    ("api_token", "token"), ("oauth_token", "token"), ("csrf_token", "token"), ("private_token", "token"),
    ("cookie", "cookie"),
    ("private_key", "private_key"),
)
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _secret_key_kind(key: str) -> str | None:
    segment = _CAMEL_HUMP.sub("_", key.rsplit(".", 1)[-1]).lower().replace("-", "_")
    for name, kind in _SECRET_KEY_NAMES:
        if segment == name or segment.endswith("_" + name):
            return kind
    return None


# -- the redactor ---------------------------------------------------------------------------------

_SHORT = 128  # strings up to this length are remembered when clean
_MEMORY = 4096  # ... up to this many of them


def _clip_at_marker(text: str, markers: tuple[list[int], list[int]], start: int, end: int) -> int:
    """The end of the span [start, end) cut before the first existing marker (start if none is left).

    Markers are never replaced again (idempotence); a value running into one, as in
    ``cookie: a=1; b=[REDACTED:jwt]``, is redacted up to it.
    """
    starts, ends = markers
    i = bisect_right(starts, start) - 1  # the last marker starting at or before `start`
    if i >= 0 and ends[i] > start:
        return start  # starts inside a marker
    if i + 1 < len(starts) and starts[i + 1] < end:
        end = starts[i + 1]
        while end > start and text[end - 1] in " \t":
            end -= 1
    return end


class Redactor:
    """Replaces secrets with ``[REDACTED:<kind>]``.

    ``extra_patterns`` are the user's regular expressions; each whole match becomes
    ``[REDACTED:custom]``. An invalid one raises ValueError naming the pattern and the error.
    """

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        custom = []
        for pattern in extra_patterns:
            try:
                compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
            except (re.error, TypeError, ValueError) as exc:
                raise ValueError(
                    f"redaction pattern {pattern!r} does not compile: {exc} — fix the regular expression"
                ) from None
            custom.append(_Rule("custom", compiled))
        self._custom = tuple(custom)
        self._by_trigger: dict[str, set[int]] = {}  # trigger -> indexes of the rules it wakes up
        for i, spec in enumerate(_RULES):  # (custom rules come after these and have no triggers)
            for trigger in spec.triggers:
                self._by_trigger.setdefault(trigger, set()).add(i)
        self._clean: set[str] = set()  # short strings known to hold no secret
        self._key_kinds: dict[Any, str | None] = {}  # attribute key -> kind; keys repeat a lot

    @cached_property
    def _rules(self) -> tuple[_Rule, ...]:
        return _builtin_rules() + self._custom  # the built-in table is compiled at the first redaction

    @cached_property
    def _untriggered(self) -> tuple[_Rule, ...]:
        return tuple(r for r in self._rules if not r.triggers)

    # -- text ---------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with secrets replaced; the same object when nothing was replaced."""
        if not isinstance(text, str) or not text:
            return text
        short = len(text) <= _SHORT
        if short and text in self._clean:
            return text
        result = text
        while True:
            redacted = self._pass(result)
            if redacted is result:
                break
            result = redacted
        if short and result is text:
            if len(self._clean) >= _MEMORY:
                self._clean.clear()
            self._clean.add(text)
        return result

    def _pass(self, text: str) -> str:
        lowered = text.lower()
        # Markers spell trigger words ([REDACTED:api_key] holds "key"): look for triggers around them.
        probe = _LOWERED_MARKER_RE.sub(" ", lowered) if "[redacted:" in lowered else lowered
        present = tuple(filter(probe.__contains__, _ALL_TRIGGERS))
        if present:
            wanted = set().union(*(self._by_trigger[t] for t in present))
            rules = [r for i, r in enumerate(self._rules) if i in wanted or not r.triggers]
        else:
            rules = self._untriggered
        for rule in rules:
            if rule.gate is not None and not rule.gate(text):
                continue
            redacted = self._apply(rule, text, lowered)
            if redacted is not text:
                text, lowered = redacted, redacted.lower()
        return text

    @staticmethod
    def _apply(rule: _Rule, text: str, lowered: str) -> str:
        if not rule.lowered:
            subject, pattern = text, rule.pattern
        elif len(lowered) == len(text):  # lowering kept every position: match on the lowered text
            subject, pattern = lowered, rule.pattern
        else:
            subject, pattern = text, rule.pattern_ci
        group = "s" if "s" in pattern.groupindex else 0
        markers = None
        if MARKER_PREFIX in text:
            found = [(m.start(), m.end()) for m in _MARKER_RE.finditer(text)]
            markers = ([s for s, _ in found], [e for _, e in found])
        pieces: list[str] = []
        done = pos = 0
        while pos <= len(subject):  # (search clamps pos, so an empty match at the end would repeat)
            m = pattern.search(subject, pos)
            if m is None:
                break
            start, end = m.span(group)
            if markers:
                end = _clip_at_marker(text, markers, start, end)
            kind = None
            if start < end:  # never replace nothing
                kind = rule.kind if rule.check is None else rule.check(m, text[start:end])
            if kind is None:
                # Not a secret here. Search again from the next character rather than after the
                # match, so a vetoed match (a placeholder, a Luhn-invalid number) hides nothing.
                pos = m.start() + 1
                continue
            pieces += (text[done:start], MARKER_PREFIX, kind, "]")
            done = end
            # After a value clipped at a marker, look again right there: more may follow it.
            pos = max(m.end() if end == m.end(group) else end, m.start() + 1)
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    # -- values and attributes -----------------------------------------------------------------

    def redact_value(self, value: Any) -> Any:
        """A str is redacted; a list/tuple has its str items redacted; anything else is returned."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, (list, tuple)):
            return self._each(value, lambda item: self.redact(item) if isinstance(item, str) else item)
        return value

    def redact_attributes(self, attributes: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """Redact every value; the same object when nothing changed, otherwise a new dict.

        A str value under a key that names a secret is replaced whole, and so is each str in a
        list/tuple value there (``http.request.header.authorization`` is a string array in the
        semantic conventions). Other types are never replaced.
        """
        if not attributes:
            return attributes
        changed: dict | None = None
        for key, value in attributes.items():
            new = self._redact_attribute(key, value)
            if new is not value:
                if changed is None:
                    changed = dict(attributes)
                changed[key] = new
        return attributes if changed is None else changed

    def _redact_attribute(self, key: Any, value: Any) -> Any:
        if not isinstance(value, (str, list, tuple)):
            return value
        kind = self._key_kind(key)
        if kind is None:
            return self.redact_value(value)
        marker = f"{MARKER_PREFIX}{kind}]"

        def replace(item: Any) -> Any:
            return marker if isinstance(item, str) and item and item != marker else item

        return replace(value) if isinstance(value, str) else self._each(value, replace)

    @staticmethod
    def _each(items: Any, fn: Callable[[Any], Any]) -> Any:
        new = [fn(item) for item in items]
        if all(a is b for a, b in zip(new, items)):
            return items
        return new if isinstance(items, list) else tuple(new)

    def _key_kind(self, key: Any) -> str | None:
        try:
            return self._key_kinds[key]
        except KeyError:
            pass
        except TypeError:  # unhashable: not a key we can judge
            return None
        kind = _secret_key_kind(key) if isinstance(key, str) else None
        if len(self._key_kinds) >= _MEMORY:
            self._key_kinds.clear()
        self._key_kinds[key] = kind
        return kind


# -- the process-wide redactor used by the exporters and the log formatter --------------------------

_lock = threading.Lock()
_UNSET: Any = object()
_active: Any = _UNSET  # a Redactor, None when disabled, or _UNSET before any configuration


def configure_redaction(enabled: bool = True, patterns: Iterable[str] = ()) -> Redactor | None:
    """Turn redaction on (with extra ``patterns``) or off; returns the active Redactor or None.

    An invalid pattern raises ValueError and leaves the current configuration as it was.
    """
    global _active
    redactor = Redactor(patterns) if enabled else None
    with _lock:
        _active = redactor
    return redactor


def configure_from_settings(settings: Any) -> Redactor | None:
    """Configure from the effective settings (AGENT_OS_OTEL_REDACTION_ENABLED and _PATTERNS)."""
    from . import (
        catalogue,  # imported here: the redaction core needs nothing but the stdlib
    )

    return configure_redaction(
        bool(settings[catalogue.AGENT_OS_OTEL_REDACTION_ENABLED]),
        settings[catalogue.AGENT_OS_OTEL_REDACTION_PATTERNS] or (),
    )


def active_redactor() -> Redactor | None:
    """The Redactor in use, None when redaction is disabled. On until configured otherwise."""
    global _active
    if _active is _UNSET:
        with _lock:
            if _active is _UNSET:
                _active = Redactor()
    return _active
