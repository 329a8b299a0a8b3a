"""Effective settings: defaults < YAML file (AGENT_OS_OTEL_CONFIG) < environment < code.

Every value remembers where it came from, so `agent-os-otel doctor` can say so. A bad value is
reported as one line that names the setting and the fix, and the previous layer's value is kept:
a typo never takes the user's program down and never loses telemetry.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from . import catalogue
from .catalogue import AGENT_OS_OTEL_CONFIG, SETTINGS, Setting

DEFAULT, FILE, ENV, CODE = "default", "file", "env", "code"


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the setting and the fix."""


@dataclass
class Value:
    value: Any
    source: str  # default | file | env | code
    origin: str  # where exactly: "default", the file path, the env var name, or the API call


@lru_cache(maxsize=1)
def schema() -> dict:
    """The JSON Schema shipped in the package; it validates both the file and env values."""
    return json.loads(resources.files(__package__).joinpath("config.schema.json").read_text())


def _validator(subschema: dict):
    from jsonschema import Draft202012Validator  # imported lazily: start-up time matters

    return Draft202012Validator(subschema)


def _leaf_schema(key: str) -> dict:
    node = schema()
    for part in key.split("."):
        node = node["properties"][part]
    return node


class Settings:
    """The effective value of every setting, with its source, and the errors met loading them."""

    def __init__(self) -> None:
        self.values: dict[str, Value] = {s.key: Value(s.default, DEFAULT, DEFAULT) for s in SETTINGS}
        self.errors: list[str] = []
        self.config_file: str | None = None

    def __getitem__(self, setting: Setting) -> Any:
        return self.values[setting.key].value

    def source(self, setting: Setting) -> Value:
        return self.values[setting.key]

    def set(self, setting: Setting, value: Any, source: str, origin: str) -> None:
        self.values[setting.key] = Value(value, source, origin)

    def raise_first_error(self) -> None:
        if self.errors:
            raise ConfigError(self.errors[0])


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read defaults, then the YAML file named by AGENT_OS_OTEL_CONFIG, then AGENT_OS_OTEL_* vars."""
    environ = os.environ if environ is None else environ
    settings = Settings()
    path = environ.get(AGENT_OS_OTEL_CONFIG, "").strip()
    if path:
        settings.config_file = path
        _apply_file(settings, path)
    for setting in SETTINGS:
        raw = environ.get(setting.env, "")
        if raw.strip():  # OTel convention: an empty variable counts as unset
            _apply_env(settings, setting, raw)
    return settings


# -- file layer --------------------------------------------------------------------------------


def _apply_file(settings: Settings, path: str) -> None:
    import yaml  # imported lazily: only users of a config file pay for it

    where = f"{AGENT_OS_OTEL_CONFIG}={path}"
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except OSError as exc:
        settings.errors.append(
            f"agent-os-otel: {where}: cannot read the config file ({exc.strerror}). "
            f"Fix: point {AGENT_OS_OTEL_CONFIG} at a readable YAML file, or unset it. Using defaults."
        )
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        settings.errors.append(
            f"agent-os-otel: {where}: not valid YAML{at}. Fix: correct the YAML syntax. Using defaults."
        )
        return
    if document is None:
        return
    bad_paths = set()
    for error in sorted(_validator(schema()).iter_errors(document), key=lambda e: list(e.absolute_path)):
        key = ".".join(str(p) for p in error.absolute_path)
        settings.errors.append(f"agent-os-otel: {where}: {_explain_file_error(key, error)}")
        bad_paths.add(key)
    for setting in SETTINGS:
        found, value = _lookup(document, setting.key)
        if not found or _under_bad_path(setting.key, bad_paths):
            continue
        problem = _extra_check(setting, value)
        if problem:
            settings.errors.append(
                f"agent-os-otel: {where}: {setting.key}: {problem}. Fix: set {setting.key} to {setting.expect}."
            )
            continue
        settings.set(setting, value, FILE, path)


def _explain_file_error(key: str, error) -> str:
    if error.validator == "additionalProperties":
        known = ", ".join(sorted(error.schema.get("properties", {}))) or "none"
        unknown = ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
        here = key or "top level"
        return f"{here}: unknown key(s) {unknown}. Fix: use one of: {known} (see README, config file)."
    setting = next((s for s in SETTINGS if s.key == key or key.startswith(s.key + ".")), None)
    fix = f"set {key} to {setting.expect}" if setting else "see the README section on the config file"
    return f"{key or 'top level'}: {error.message}. Fix: {fix}."


def _lookup(document: Any, key: str) -> tuple[bool, Any]:
    node = document
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _under_bad_path(key: str, bad_paths: set[str]) -> bool:
    return any(bad == "" or key == bad or key.startswith(bad + ".") or bad.startswith(key + ".")
               for bad in bad_paths)


# -- environment layer -------------------------------------------------------------------------

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_LABEL_PAIR = re.compile(r"^\s*([^=\s]+)\s*=(.*)$")


def parse_env_value(setting: Setting, raw: str) -> Any:
    """Turn an environment string into the typed value; ConfigError names the variable and the fix."""
    text = raw.strip()
    try:
        value = _PARSERS[setting.kind](text)
    except ValueError as exc:
        raise ConfigError(_env_message(setting, raw, str(exc))) from None
    errors = list(_validator(_leaf_schema(setting.key)).iter_errors(value))
    if errors:
        raise ConfigError(_env_message(setting, raw, errors[0].message))
    problem = _extra_check(setting, value)
    if problem:
        raise ConfigError(_env_message(setting, raw, problem))
    return value


def _apply_env(settings: Settings, setting: Setting, raw: str) -> None:
    try:
        settings.set(setting, parse_env_value(setting, raw), ENV, setting.env)
    except ConfigError as exc:
        settings.errors.append(f"{exc} Using {settings[setting]!r}.")


def _env_message(setting: Setting, raw: str, reason: str) -> str:
    return f"agent-os-otel: {setting.env}={raw!r} is invalid ({reason}). Fix: set {setting.env} to {setting.expect}."


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("not a boolean")


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("not an integer") from None


def _parse_labels(text: str) -> dict[str, str]:
    labels = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        match = _LABEL_PAIR.match(pair)
        if not match:
            raise ValueError(f"{pair!r} is not name=value")
        labels[match.group(1)] = match.group(2).strip()
    return labels


def _parse_patterns(text: str) -> list:
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a JSON list: {exc.msg}") from None
    return [text]


def _parse_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


_PARSERS = {
    "str": str,
    "names": _parse_names,
    "int": _parse_int,
    "bool": _parse_bool,
    "labels": _parse_labels,
    "patterns": _parse_patterns,
}


def _extra_check(setting: Setting, value: Any) -> str | None:
    """Checks JSON Schema cannot express: regexes must compile."""
    if setting.kind != "patterns":
        return None
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"pattern {pattern!r} does not compile ({exc})"
    return None


def collector_configured(environ: Mapping[str, str] | None = None) -> bool:
    """The one rule for the embedded default: is any OTLP endpoint variable set?"""
    environ = os.environ if environ is None else environ
    return any(environ.get(name, "").strip() for name in catalogue.OTLP_ENDPOINT_VARS)


# -- the process's effective settings, and the code layer ----------------------------------------

_current: Settings | None = None


def current() -> Settings:
    """This process's settings, loaded once; the configurator reports their errors at start-up."""
    global _current
    if _current is None:
        _current = load()
    return _current


def resolve(config: Any, fields: Mapping[str, Setting]) -> Any:
    """Fill a config dataclass: a field left at None takes the setting's value (file/env/default);
    a field set in code is validated and recorded with source "code". Returns a new config."""
    values = {}
    for name, setting in fields.items():
        value = getattr(config, name)
        where = f"{type(config).__name__}.{name}"
        values[name] = current()[setting] if value is None else apply_code(setting, value, where)
    return replace(config, **values)


def apply_code(setting: Setting, value: Any, where: str) -> Any:
    """Validate a value passed through the Python API and record it with source "code"."""
    errors = list(_validator(_leaf_schema(setting.key)).iter_errors(value))
    problem = errors[0].message if errors else _extra_check(setting, value)
    if problem:
        raise ConfigError(f"agent-os-otel: {where}={value!r} is invalid ({problem}). Fix: pass {setting.expect}.")
    current().set(setting, value, CODE, where)
    return value
