"""Cost of in-process secret redaction, per attribute value, log line and span attribute set.

Run: .venv/bin/python bench/redaction_bench.py   (stdlib only; prints a markdown table)

Each figure is the best of several repeats, in microseconds per call. "first sight" inputs are all
distinct, so the redactor's memory of short clean strings does not help; "repeated" inputs are the
same value again and again, as model names and agent ids are in real spans.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))  # run from a checkout

from agent_os_otel.redaction import Redactor

N = 2000  # distinct inputs per case
REPEATS = 7
OPENAI_KEY = "sk-proj-FAKEb3nCh" + "Xy7Qw2Er4Ty6Ui8Op0As1Df3Gh5Jk7Lz9Xc2Vb4Nm6Qw8Er0Ty"


def clean_short(i: int) -> str:
    return f"gpt-4o-mini-{i}"


def clean_200(i: int) -> str:
    text = (f"Plan step {i}: search the knowledge base for 'quarterly revenue by region', rank the "
            f"results, keep the top 5, and summarise them for the user in three short bullet points, "
            f"citing every source used.")
    return text[:200].ljust(200, ".")


def one_secret_value(i: int) -> str:
    return f"calling the model with key {OPENAI_KEY}{i:04d} for request {i}"


def clean_log_line(i: int) -> str:
    line = (f"2024-11-25T03:22:11.{i:06d}Z INFO agent_os.planner step={i} tool=web_search "
            f"latency_ms=182 status=ok cache=miss")
    return line[:120].ljust(120)


def secret_log_line(i: int) -> str:
    line = f"2024-11-25T03:22:11.{i:06d}Z WARN http retry {i} Authorization: Bearer {OPENAI_KEY}"
    return line[:120].ljust(120)


def span_attributes(i: int, secret: bool) -> dict:
    attributes = {
        "gen_ai.system": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.id": f"chatcmpl-AbC{i:08d}xYz",
        "gen_ai.usage.input_tokens": 512 + i,
        "gen_ai.usage.output_tokens": 87,
        "agent_os.agent.id": "planner",
        "server.address": "api.openai.com",
    }
    if secret:
        attributes["agent_os.agent.id"] = f"planner api_key={OPENAI_KEY}{i:04d}"
    return attributes


def per_call_us(method: str, inputs: list, warm: bool) -> float:
    """Best time per call; a fresh Redactor for every run unless `warm` (it remembers clean strings)."""
    warm_redactor = Redactor()
    best = float("inf")
    for _ in range(REPEATS):
        call = getattr(warm_redactor if warm else Redactor(), method)
        best = min(best, timeit.timeit(lambda call=call: [call(item) for item in inputs], number=1))
    return best / len(inputs) * 1e6


def main() -> None:
    redactor = Redactor()
    rows = [  # (what, input, method, inputs, warm)
        ("attribute value", "clean short string (15 chars), first sight", "redact",
         [clean_short(i) for i in range(N)], False),
        ("attribute value", "clean short string, repeated value", "redact", [clean_short(0)] * N, True),
        ("attribute value", "clean 200-char string", "redact", [clean_200(i) for i in range(N)], False),
        ("attribute value", "string with one secret (OpenAI key)", "redact",
         [one_secret_value(i) for i in range(N)], False),
        ("log line", "clean 120-char line", "redact", [clean_log_line(i) for i in range(N)], False),
        ("log line", "120-char line with one secret (Bearer header)", "redact",
         [secret_log_line(i) for i in range(N)], False),
        ("redact_attributes", "typical 8-attribute span, clean (7 values repeat, 1 new)", "redact_attributes",
         [span_attributes(i, False) for i in range(N)], True),
        ("redact_attributes", "typical 8-attribute span, clean, nothing remembered", "redact_attributes",
         [span_attributes(i, False) for i in range(N)], False),
        ("redact_attributes", "typical 8-attribute span, one secret", "redact_attributes",
         [span_attributes(i, True) for i in range(N)], True),
    ]
    # Sanity: the secret cases really redact, the clean ones really do not.
    assert "[REDACTED:" in redactor.redact(one_secret_value(1))
    assert "[REDACTED:" in redactor.redact(secret_log_line(1))
    clean = span_attributes(1, False)
    assert redactor.redact_attributes(clean) is clean

    print(f"Python {sys.version.split()[0]}, best of {REPEATS} runs over {N} inputs each\n")
    print("| what | input | µs per call |")
    print("|---|---|---:|")
    for what, name, method, inputs, warm in rows:
        print(f"| {what} | {name} | {per_call_us(method, inputs, warm):.2f} |")


if __name__ == "__main__":
    main()
