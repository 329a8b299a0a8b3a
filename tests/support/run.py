"""Run a program the way a user does: `opentelemetry-instrument python program.py`, in a clean env."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.local_stack import http_get

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
AGENT = ROOT / "tests" / "programs" / "agent.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**overrides: str) -> dict[str, str]:
    """The machine's environment without any OTEL_*/AGENT_OS_OTEL_* the developer may have set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENT_OS_OTEL_"))}
    env.update(overrides)
    return env


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    facts: dict = field(default_factory=dict)
    scrapes: dict = field(default_factory=dict)  # url -> (status, body)

    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("agent-os-otel:") and "Fix:" in line]

    def startup_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if "traces ->" in line]
        assert len(lines) == 1, f"expected exactly one start-up line, got {lines!r}\n{self.stderr}"
        return lines[0]

    def json_logs(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def run_instrumented(
    tmp_path: Path, env: dict[str, str], program: Path = AGENT, scrape: tuple[str, ...] = (),
    args: tuple[str, ...] = (), timeout: float = 60, wait_for_metric: str = "agent_os_actions_total",
) -> Run:
    """Run under opentelemetry-instrument; with `scrape`, fetch those URLs while the program holds.

    Test programs take a facts file as first argument and write it when their work is done;
    examples are known to be done when /metrics shows `wait_for_metric`.
    """
    facts_file = tmp_path / f"facts-{time.monotonic_ns()}.json"
    writes_facts = program.parent.name != "examples"
    command = [str(BIN / "opentelemetry-instrument"), sys.executable, str(program), *args]
    if writes_facts:
        command.insert(3, str(facts_file))
    if scrape:
        command.append("--hold")
    # output goes to files, not pipes: a chatty program must not stall on a full pipe while we scrape
    out_path, err_path = facts_file.with_suffix(".stdout"), facts_file.with_suffix(".stderr")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdin=subprocess.PIPE, stdout=out, stderr=err,
                                   text=True)
        scrapes = _scrape_when_done(process, scrape, facts_file if writes_facts else wait_for_metric, timeout)
        process.communicate(input="", timeout=timeout)
    facts = json.loads(facts_file.read_text()) if facts_file.exists() else {}
    return Run(process.returncode, out_path.read_text(), err_path.read_text(), facts, scrapes)


def _scrape_when_done(process, scrape, done_when: Path | str, timeout) -> dict:
    """Scrape once the program's work is done: its facts file exists, or /metrics shows a metric."""
    scrapes = {}
    if scrape:
        deadline = time.monotonic() + timeout

        def done() -> bool:
            if isinstance(done_when, Path):
                return done_when.exists()
            return done_when in http_get(scrape[0])[1]

        while not done() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is None and not done():
            process.kill()
            raise AssertionError(f"the program did not finish its work within {timeout}s")
        scrapes = {url: http_get(url) for url in scrape}
    return scrapes


def run_python(tmp_path: Path, code: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """Run a snippet with plain python (no auto-instrumentation): the programmatic API's path.

    Each snippet gets its own process because OpenTelemetry's global providers can be set once.
    """
    script = tmp_path / f"snippet_{time.monotonic_ns()}.py"
    script.write_text(code)
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=clean_env(**env), text=True,
                          capture_output=True, timeout=timeout)


def run_example(tmp_path: Path, name: str, wait_for_metric: str) -> tuple[Run, str]:
    """examples/<name> as users run it (zero-code: it must not import us), held until /metrics shows
    ``wait_for_metric``; returns the run and the scraped /metrics text."""
    example = ROOT / "examples" / name
    assert not [line for line in example.read_text().splitlines()
                if line.startswith(("import agent_os_otel", "from agent_os_otel"))], f"{name} must be zero-code"
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    run = run_instrumented(tmp_path, clean_env(AGENT_OS_OTEL_PROMETHEUS_PORT=str(port)), program=example,
                           scrape=(url,), wait_for_metric=wait_for_metric)
    assert run.returncode == 0, run.stderr
    return run, run.scrapes[url][1]
