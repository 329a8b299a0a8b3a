"""Every name agent-os-otel uses, in one place: spans, attributes, metrics, settings.

A reader who wants the whole vocabulary reads this file. The names under "fixed" are the
user's catalogue (shared/DESIGN.md) and must not be renamed: dashboards and alerts use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------------------------
# Instrumentation scope
# --------------------------------------------------------------------------------------------
SCOPE_NAME = "agent_os_otel"
"""Instrumentation scope of every tracer, meter and logger this distro creates."""

# --------------------------------------------------------------------------------------------
# Span names (fixed)
# --------------------------------------------------------------------------------------------
SPAN_AGENT_EXECUTE = "agent.execute"
SPAN_POLICY_EVALUATE = "policy.evaluate"
SPAN_MEMORY_STORE = "memory.store"
SPAN_MEMORY_RETRIEVE = "memory.retrieve"
SPAN_VERIFICATION_CHECK = "verification.check"
SPAN_SIGNAL_DISPATCH = "signal.dispatch"

# --------------------------------------------------------------------------------------------
# Attributes
# --------------------------------------------------------------------------------------------
ATTR_AGENT_ID = "agent_os.agent.id"
ATTR_ACTION = "agent_os.action"
ATTR_RESOURCE = "agent_os.resource"
ATTR_POLICY_DECISION = "agent_os.policy.decision"
"""``allow`` or ``deny``."""
ATTR_POLICY_RULE = "agent_os.policy.rule"
ATTR_POLICY_REASON = "agent_os.policy.reason"
ATTR_SIGNAL = "agent_os.signal"
ATTR_SIGNAL_SOURCE = "agent_os.signal.source"
ATTR_SYSCALL = "agent_os.syscall"
ATTR_ERROR_CODE = "agent_os.error_code"
ATTR_BLOCKED = "agent_os.blocked"
"""True on an agent.execute span whose action the kernel refused (see README, denials)."""
ATTR_MEMORY_STORE = "agent_os.memory.store"
"""Class of the memory store (FileAdapter, CausalMemoryStore)."""
ATTR_EPISODE_ID = "agent_os.memory.episode_id"
ATTR_RESULT_COUNT = "agent_os.memory.results"
ATTR_DRIFT_SCORE = "agent_os.verification.drift_score"
ATTR_VERIFICATION_PASSED = "agent_os.verification.passed"
ATTR_VERIFICATION_FUNCTION = "agent_os.verification.function"
ATTR_FLIGHT_RECORDER_TRACE = "agent_os.flight_recorder.trace_id"
"""The FlightRecorder's own id for the same action, to join its SQLite rows with our traces."""
ATTR_GOVERNANCE_EVENT = "agent_os.governance.event"
# Agent-framework steps the GenAI conventions have no span for (OpenAI Agents SDK handoffs, guardrails):
# INTERNAL spans named ``handoff {to agent}`` and ``guardrail {guardrail name}``.
SPAN_HANDOFF = "handoff"
SPAN_GUARDRAIL = "guardrail"
ATTR_HANDOFF_FROM_AGENT = "agent_os.handoff.from_agent"
ATTR_HANDOFF_TO_AGENT = "agent_os.handoff.to_agent"
ATTR_GUARDRAIL_NAME = "agent_os.guardrail.name"
ATTR_GUARDRAIL_TRIGGERED = "agent_os.guardrail.triggered"
"""True when the guardrail's tripwire fired (the run then stops with a *GuardrailTripwireTriggered error)."""

# GenAI semantic conventions (kept here so the whole vocabulary is in one file).
GEN_AI_SEMCONV_VERSION = "1.41.0"
"""The GenAI semantic conventions our framework instrumentations follow; their spans carry this schema URL."""
GEN_AI_SCHEMA_URL = f"https://opentelemetry.io/schemas/{GEN_AI_SEMCONV_VERSION}"

OP_CHAT = "chat"
OP_TEXT_COMPLETION = "text_completion"
OP_GENERATE_CONTENT = "generate_content"
OP_EMBEDDINGS = "embeddings"
OP_EXECUTE_TOOL = "execute_tool"
OP_INVOKE_AGENT = "invoke_agent"
OP_CREATE_AGENT = "create_agent"
OP_INVOKE_WORKFLOW = "invoke_workflow"
"""A run of several agents as one unit (semconv 1.41): an OpenAI Agents SDK trace, ``invoke_workflow {name}``."""
MODEL_OPERATIONS = frozenset({OP_CHAT, OP_TEXT_COMPLETION, OP_GENERATE_CONTENT, OP_EMBEDDINGS})
"""Operations whose span is named ``{gen_ai.operation.name} {gen_ai.request.model}``."""
PROVIDER_OPENAI = "openai"
PROVIDER_AZURE_OPENAI = "azure.ai.openai"
"""gen_ai.provider.name of the OpenAI SDK's clients (AzureOpenAI clients report the Azure value)."""

ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
ATTR_GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
"""openai, anthropic, aws.bedrock, ... (the semconv's well-known values); langchain's ls_provider otherwise."""
ATTR_GEN_AI_SYSTEM = "gen_ai.system"
"""Deprecated by gen_ai.provider.name; read (not written) to recognise other vendors' spans."""
ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
ATTR_GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
ATTR_GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
ATTR_GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
ATTR_GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
ATTR_GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
ATTR_GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
ATTR_GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
ATTR_GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"
ATTR_GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
ATTR_GEN_AI_RESPONSE_ID = "gen_ai.response.id"
ATTR_GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
ATTR_GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
ATTR_GEN_AI_AGENT_NAME = "gen_ai.agent.name"
ATTR_GEN_AI_AGENT_ID = "gen_ai.agent.id"
ATTR_GEN_AI_AGENT_DESCRIPTION = "gen_ai.agent.description"
ATTR_GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
ATTR_GEN_AI_WORKFLOW_NAME = "gen_ai.workflow.name"
ATTR_GEN_AI_TOOL_NAME = "gen_ai.tool.name"
ATTR_GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
ATTR_GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
ATTR_GEN_AI_TOOL_DESCRIPTION = "gen_ai.tool.description"
ATTR_GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
# Content: only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, redacted and capped.
ATTR_GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
ATTR_GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
ATTR_GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
GEN_AI_CONTENT_ATTRIBUTES = (ATTR_GEN_AI_INPUT_MESSAGES, ATTR_GEN_AI_OUTPUT_MESSAGES, ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
                             ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, ATTR_GEN_AI_TOOL_CALL_RESULT)
EVENT_GEN_AI_OPERATION_DETAILS = "gen_ai.client.inference.operation.details"
"""Event (an OTel log record) carrying a model call's content when capture is on in EVENT mode."""
EVENT_GEN_AI_RETRY = "gen_ai.client.retry"
"""Span event on a model span for each attempt the SDK retries (with the status code that caused it)."""
ATTR_ERROR_TYPE = "error.type"
ERROR_TYPE_OTHER = "_OTHER"
"""error.type when a framework reports a failure without the exception behind it (the semconv fallback)."""
ATTR_SERVER_ADDRESS = "server.address"
ATTR_SERVER_PORT = "server.port"
ATTR_HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
ATTR_RETRY_ATTEMPT = "gen_ai.client.retry.attempt"
"""Which try failed (1 = the first request) on a gen_ai.client.retry span event."""

OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""Prompt/completion capture: NO_CONTENT (default), SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT; true = SPAN_AND_EVENT."""
CONTENT_MODES = ("NO_CONTENT", "SPAN_ONLY", "EVENT_ONLY", "SPAN_AND_EVENT")

# Audit records: one per policy decision, an OTel log record with this event name
AUDIT_EVENT_NAME = "agent_os.audit"
"""event_name (and event.name attribute) of audit log records, for routing in a collector."""
AUDIT_FIELDS = ("id", "timestamp", "agent_id", "action", "resource", "decision", "reason", "rule_id", "context",
                "trace_id", "span_id")
"""Fields of an audit record (the collector's audit exporter adds seq, prev_hash, hash, signature)."""

# Fields of a structured log line, and the ``extra={...}`` keys users pass to stdlib logging.
LOG_AGENT_FIELDS = ("agent_id", "action", "resource", "decision", "duration_ms")
"""Agent fields copied from a log record's ``extra`` into the JSON line and the OTel log record."""

# --------------------------------------------------------------------------------------------
# Metrics (fixed names; Prometheus exposition name in the comment)
# --------------------------------------------------------------------------------------------
SECONDS_FAST = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
"""Policy checks and memory look-ups: tens of microseconds to about a second."""
SECONDS_ACTION = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
"""Agent actions: a millisecond to a couple of minutes (tool calls, model round trips)."""
UNIT_INTERVAL = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
"""A score between 0 and 1 (drift)."""
GEN_AI_DURATION = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
"""Boundaries the GenAI semantic conventions give for gen_ai.client.operation.duration."""
GEN_AI_TOKENS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
"""Boundaries the GenAI semantic conventions give for gen_ai.client.token.usage."""


@dataclass(frozen=True)
class MetricSpec:
    """One instrument: its OTel name, kind, unit and, for histograms, the bucket boundaries."""

    name: str
    kind: str  # "counter" | "updown" | "histogram"
    unit: str
    description: str
    buckets: tuple[float, ...] = ()


ACTIONS = MetricSpec("agent_os.actions", "counter", "1", "Agent actions executed")  # agent_os_actions_total
VIOLATIONS = MetricSpec("agent_os.violations", "counter", "1", "Policy violations")  # agent_os_violations_total
ACTIONS_BLOCKED = MetricSpec("agent_os.actions.blocked", "counter", "1", "Agent actions blocked by policy")
ACTION_DURATION = MetricSpec(
    "agent_os.action.duration", "histogram", "s", "Duration of agent actions", SECONDS_ACTION
)  # agent_os_action_duration_seconds
ACTIVE_AGENTS = MetricSpec("agent_os.active_agents", "updown", "1", "Agents currently active")
POLICY_EVALUATIONS = MetricSpec("agent_os.policy.evaluations", "counter", "1", "Policy evaluations")
POLICY_EVALUATION_DURATION = MetricSpec(
    "agent_os.policy.evaluation.duration", "histogram", "s", "Duration of policy evaluations", SECONDS_FAST
)
POLICY_CACHE_HITS = MetricSpec("agent_os.policy.cache_hits", "counter", "1", "Policy decisions served from cache")
EPISODES = MetricSpec("agent_os.episodes", "counter", "1", "Episodes stored in episodic memory")
MEMORY_SIZE = MetricSpec("agent_os.memory.size", "updown", "By", "Size of episodic memory")  # ..._bytes
RETRIEVAL_DURATION = MetricSpec(
    "agent_os.retrieval.duration", "histogram", "s", "Duration of memory retrievals", SECONDS_FAST
)
VERIFICATIONS = MetricSpec("agent_os.verifications", "counter", "1", "Verification checks")
VERIFICATION_FAILURES = MetricSpec("agent_os.verification.failures", "counter", "1", "Failed verification checks")
DRIFT_SCORE = MetricSpec("agent_os.drift_score", "histogram", "1", "Drift score of verified outputs", UNIT_INTERVAL)
GEN_AI_OPERATION_DURATION = MetricSpec(
    "gen_ai.client.operation.duration", "histogram", "s", "GenAI operation duration", GEN_AI_DURATION
)
GEN_AI_TOKEN_USAGE = MetricSpec(
    "gen_ai.client.token.usage", "histogram", "{token}", "Measures number of input and output tokens used",
    GEN_AI_TOKENS,
)

METRICS: tuple[MetricSpec, ...] = (
    ACTIONS, VIOLATIONS, ACTIONS_BLOCKED, ACTION_DURATION, ACTIVE_AGENTS, POLICY_EVALUATIONS,
    POLICY_EVALUATION_DURATION, POLICY_CACHE_HITS, EPISODES, MEMORY_SIZE, RETRIEVAL_DURATION,
    VERIFICATIONS, VERIFICATION_FAILURES, DRIFT_SCORE, GEN_AI_OPERATION_DURATION, GEN_AI_TOKEN_USAGE,
)

# --------------------------------------------------------------------------------------------
# Settings: AGENT_OS_OTEL_* environment variables, and their keys in the YAML config file
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, its key path in the YAML file, its default.

    ``kind`` says how the environment string is parsed (str, int, bool, float, labels, patterns);
    the value is then checked against the same JSON Schema that validates the file, so both
    places accept exactly the same values. ``expect`` is the fix shown when a value is wrong.
    """

    env: str
    key: str
    default: Any
    kind: str
    expect: str
    doc: str
    example: str = field(default="")

    def __str__(self) -> str:
        return self.env


AGENT_OS_OTEL_CONFIG = "AGENT_OS_OTEL_CONFIG"
"""Path of an optional YAML config file with the settings below (keys in the README).
Environment variables override the file; the file overrides the defaults."""

AGENT_OS_OTEL_SERVICE_NAME = Setting(
    "AGENT_OS_OTEL_SERVICE_NAME", "service_name", "agent-os", "str", "a non-empty service name, e.g. my-agent",
    "service.name used when neither OTEL_SERVICE_NAME nor service.name in OTEL_RESOURCE_ATTRIBUTES is set.",
)
AGENT_OS_OTEL_PROMETHEUS_ENABLED = Setting(
    "AGENT_OS_OTEL_PROMETHEUS_ENABLED", "metrics.prometheus.enabled", True, "bool", "true or false",
    "Serve the in-process Prometheus /metrics endpoint.",
)
AGENT_OS_OTEL_PROMETHEUS_HOST = Setting(
    "AGENT_OS_OTEL_PROMETHEUS_HOST", "metrics.prometheus.host", "127.0.0.1", "str",
    "an interface address, e.g. 127.0.0.1 or 0.0.0.0",
    "Address the /metrics endpoint listens on (loopback by default; 0.0.0.0 to let a remote Prometheus scrape).",
)
AGENT_OS_OTEL_PROMETHEUS_PORT = Setting(
    "AGENT_OS_OTEL_PROMETHEUS_PORT", "metrics.prometheus.port", 9464, "int",
    "a port number 0-65535, e.g. 9464 (0 picks a free port)",
    "Port of the /metrics endpoint.",
)
AGENT_OS_OTEL_PROMETHEUS_PATH = Setting(
    "AGENT_OS_OTEL_PROMETHEUS_PATH", "metrics.prometheus.path", "/metrics", "str",
    "a URL path starting with /, e.g. /metrics",
    "URL path of the /metrics endpoint.",
)
AGENT_OS_OTEL_METRICS_NAMESPACE = Setting(
    "AGENT_OS_OTEL_METRICS_NAMESPACE", "metrics.namespace", "", "str",
    "a Prometheus name prefix of letters, digits and underscores, e.g. team_a (empty for none)",
    "Prefix added to every metric name on /metrics (team_a -> team_a_agent_os_actions_total).",
)
AGENT_OS_OTEL_METRICS_LABELS = Setting(
    "AGENT_OS_OTEL_METRICS_LABELS", "metrics.custom_labels", {}, "labels",
    "comma-separated name=value pairs with Prometheus label names, e.g. team=search,env=prod",
    "Constant labels added to every series on /metrics and to the OTel resource.",
)
AGENT_OS_OTEL_METRICS_PROCESS = Setting(
    "AGENT_OS_OTEL_METRICS_PROCESS", "metrics.include_process_metrics", True, "bool", "true or false",
    "Also expose process_* metrics (CPU, memory, open fds) on /metrics.",
)
AGENT_OS_OTEL_METRICS_PYTHON = Setting(
    "AGENT_OS_OTEL_METRICS_PYTHON", "metrics.include_python_metrics", True, "bool", "true or false",
    "Also expose python_* runtime metrics (GC, interpreter info) on /metrics.",
)
AGENT_OS_OTEL_LOG_LEVEL = Setting(
    "AGENT_OS_OTEL_LOG_LEVEL", "logging.level", "INFO", "str", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    "Level of the root logger.",
)
AGENT_OS_OTEL_LOG_FORMAT = Setting(
    "AGENT_OS_OTEL_LOG_FORMAT", "logging.format", "json", "str", "json or text",
    "Format of log lines written to stdout/file: one JSON object per line, or readable text.",
)
AGENT_OS_OTEL_LOG_OUTPUT = Setting(
    "AGENT_OS_OTEL_LOG_OUTPUT", "logging.output", "stdout", "str", "one of stdout, file, both, none",
    "Where log lines go (they are also exported as OTel log records when a logs exporter is set).",
)
AGENT_OS_OTEL_LOG_FILE = Setting(
    "AGENT_OS_OTEL_LOG_FILE", "logging.file_path", "agent-os-otel.log", "str", "a writable file path",
    "Log file used when AGENT_OS_OTEL_LOG_OUTPUT is file or both.",
)
AGENT_OS_OTEL_LOG_TRACE_IDS = Setting(
    "AGENT_OS_OTEL_LOG_TRACE_IDS", "logging.include_trace_ids", True, "bool", "true or false",
    "Add trace_id and span_id of the current span to each log line.",
)
AGENT_OS_OTEL_REDACTION_ENABLED = Setting(
    "AGENT_OS_OTEL_REDACTION_ENABLED", "redaction.enabled", True, "bool", "true or false",
    "Scrub secrets from spans, span events, logs and audit records before they leave the process.",
)
AGENT_OS_OTEL_REDACTION_PATTERNS = Setting(
    "AGENT_OS_OTEL_REDACTION_PATTERNS", "redaction.patterns", [], "patterns",
    'a regular expression, or a JSON list of them, e.g. ["acct-[0-9]{8}"]',
    "Extra regular expressions to redact, on top of the built-in secret patterns.",
)

AGENT_OS_OTEL_AUDIT_FILE = Setting(
    "AGENT_OS_OTEL_AUDIT_FILE", "audit.file_path", "agent-os-audit.jsonl", "str", "a writable file path",
    "With no collector configured, audit records (one per policy decision) are also appended here as JSON lines.",
)

AGENT_OS_OTEL_GENAI_CONTENT_MAX_LENGTH = Setting(
    "AGENT_OS_OTEL_GENAI_CONTENT_MAX_LENGTH", "genai.content_max_length", 4096, "int",
    "a whole number of characters, 0 or more, e.g. 4096",
    "When prompt/completion capture is on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT), each captured "
    "text is cut to this many characters, after redaction.",
)
AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS = Setting(
    "AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS", "genai.yield_instrumentations", [], "names",
    "comma-separated instrumentor names, e.g. openai,langchain",
    "When another package registers an instrumentor under the same name as ours (openai, langchain, "
    "openai_agents), ours runs and theirs is skipped; names listed here go the other way.",
)

SETTINGS: tuple[Setting, ...] = (
    AGENT_OS_OTEL_SERVICE_NAME,
    AGENT_OS_OTEL_PROMETHEUS_ENABLED, AGENT_OS_OTEL_PROMETHEUS_HOST, AGENT_OS_OTEL_PROMETHEUS_PORT,
    AGENT_OS_OTEL_PROMETHEUS_PATH, AGENT_OS_OTEL_METRICS_NAMESPACE, AGENT_OS_OTEL_METRICS_LABELS,
    AGENT_OS_OTEL_METRICS_PROCESS, AGENT_OS_OTEL_METRICS_PYTHON,
    AGENT_OS_OTEL_LOG_LEVEL, AGENT_OS_OTEL_LOG_FORMAT, AGENT_OS_OTEL_LOG_OUTPUT, AGENT_OS_OTEL_LOG_FILE,
    AGENT_OS_OTEL_LOG_TRACE_IDS,
    AGENT_OS_OTEL_REDACTION_ENABLED, AGENT_OS_OTEL_REDACTION_PATTERNS,
    AGENT_OS_OTEL_AUDIT_FILE,
    AGENT_OS_OTEL_GENAI_CONTENT_MAX_LENGTH, AGENT_OS_OTEL_YIELD_INSTRUMENTATIONS,
)

# --------------------------------------------------------------------------------------------
# Standard OpenTelemetry variables the distro reads or defaults
# --------------------------------------------------------------------------------------------
OTLP_ENDPOINT_VARS = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
)
"""Setting any of these means "a collector is configured": the distro then defaults to OTLP."""

EXPORTER_VARS = {
    "traces": "OTEL_TRACES_EXPORTER",
    "metrics": "OTEL_METRICS_EXPORTER",
    "logs": "OTEL_LOGS_EXPORTER",
}
CONSOLE_SPAN_EXPORTER = "agent_os_console"
"""Entry-point name of the readable one-line-per-span exporter (stderr) used with no collector."""

DISTRO_NAME = "agent_os_otel"
"""Entry-point name of the distro and the configurator (OTEL_PYTHON_DISTRO / OTEL_PYTHON_CONFIGURATOR)."""
