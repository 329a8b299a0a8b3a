"""The OTel resource every provider of ours shares: who is sending the telemetry."""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry.sdk.resources import SERVICE_NAME, Resource

from . import settings as settings_mod
from .catalogue import AGENT_OS_OTEL_SERVICE_NAME


def build(service_name: str | None = None, extra: Mapping[str, str] | None = None) -> Resource:
    """Resource from OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME, with our default service name.

    The user's OTEL_* variables win over our default; an explicit ``service_name`` (code) wins over all.
    """
    attributes = dict(extra or {})
    user_named = os.environ.get("OTEL_SERVICE_NAME", "").strip() or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    if not user_named:
        attributes[SERVICE_NAME] = settings_mod.current()[AGENT_OS_OTEL_SERVICE_NAME]
    resource = Resource.create(attributes)
    if service_name:
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    return resource
