"""The benchmark, side by side in one run: prints markdown tables, writes bench/results/latest.json.

For each scenario, rounds of [contender, contender, ...] (the order rotates each round), every
contender a fresh process in its own venv (bench/peers/workload.py) that warms up, then times N steps
and reports µs/step (the process's CPU time, all threads) and the spans that reached the exporter. Per contender: the median and the range
over rounds of µs/step and of the ratio to the uninstrumented run of the same round (no absolute time
is compared across runs); the overhead per step (contender - uninstrumented, same round) and that
overhead over the bare-SDK floor for the same span count (empty spans by hand, same processor and
exporter). A contender that exports no span is an error, not a fast result.

Scenarios: a agent_os (Agent OS kernel syscall), b langchain (LangGraph ReAct agent step), c openai
(chat call + streamed chat call on the loopback server), d start-up, e memory (RSS over 10k Agent OS
actions), f collector (bench/collector_bench.py, needs `make collector bench-tools`).

    .venv/bin/python bench/run.py [--rounds 5] [--scale 1.0] [--scenarios a,b,c,d,e,f] [--no-peers]
    .venv/bin/python bench/run.py --quick      # 1 round, few steps, ours/uninstrumented/floor, a-c only
"""

from __future__ import annotations

import argparse
import atexit
import functools
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKLOAD = BENCH / "peers" / "workload.py"
VENVS = Path(os.environ.get("BENCH_VENVS") or BENCH / ".venvs")
MAIN_PYTHON = Path(sys.executable)  # the project's .venv: uninstrumented, floor and ours run there

# scenario: (workload name, steps, warmup, extra rounds, peers that instrument it)
SCENARIOS = {
    "a": ("agent_os", 4000, 500, 0, ()),
    "b": ("langchain", 300, 60, 2, ("openinference", "openllmetry", "openlit")),
    "c": ("openai", 300, 50, 2, ("openinference", "openllmetry", "openlit")),
}
TITLES = {"a": "(a) Agent OS: one allowed `KernelSpace.syscall` (policy check, memory write)",
          "b": "(b) LangChain/LangGraph: one ReAct agent step (fake chat model asks for a tool, tool, answer)",
          "c": "(c) OpenAI SDK: one chat completion + one streamed chat completion, loopback server",
          "d": "(d) Start-up, wall time of a fresh process",
          "e": "(e) Memory over Agent OS actions (ours vs uninstrumented)",
          "f": "(f) Collector pipeline (bench/collector_bench.py)"}
MEMORY_ACTIONS = 10_000


class BenchError(Exception):
    pass


# Peers record prompts and completions on spans by default; ours only when asked. "ours+content" is
# ours asked to, so the comparison with the peers is like for like. "ours, spans only" is ours with no
# MeterProvider (and on Agent OS no audit destination): how much of ours' cost is its spans, how much the rest.
VARIANTS = {"ours+content": ("ours", {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"}, []),
            "ours, spans only": ("ours", {}, ["--only-spans"])}


def python_for(contender: str) -> Path:
    if contender.startswith("uninstrumented@"):
        contender = contender.split("@", 1)[1]
    if contender in ("uninstrumented", "floor", "ours", *VARIANTS):
        return MAIN_PYTHON
    python = VENVS / contender / "bin" / "python"
    if not python.exists():
        raise BenchError(f"{python} is missing: run `make bench-peers` (make bench does)")
    return python


@functools.cache
def openai_server_url() -> str:
    """One loopback OpenAI-compatible server for the whole run, in a process of its own: a contender's
    CPU time is then its client's alone, not the server's (which costs more than the call it answers)."""
    server = subprocess.Popen([str(MAIN_PYTHON), "-m", "tests.support.openai_server"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    atexit.register(server.kill)
    return server.stdout.readline().strip()


def run_workload(scenario: str, contender: str, steps: int, warmup: int, floor_spans: int = 0) -> dict:
    name, extra_env, extra_args = VARIANTS.get(contender, (contender.split("@", 1)[0], {}, []))
    command = [str(python_for(contender)), "-W", "ignore", str(WORKLOAD), "--scenario", scenario,
               "--contender", name, "--steps", str(steps), "--warmup", str(warmup), *extra_args]
    if floor_spans:
        command += ["--floor-spans", str(floor_spans)]
    if scenario == "openai":
        command += ["--openai-url", openai_server_url()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENT_OS_OTEL_", "OPENAI_"))}
    env.update(OPENLIT_DISABLE_TELEMETRY="true", TRACELOOP_TELEMETRY="false", PYTHONHASHSEED="0", **extra_env)
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise BenchError(f"{scenario}/{contender} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1])
    if contender.startswith("uninstrumented") and result["spans_exported"]:
        raise BenchError(f"{scenario}/{contender}: exported {result['spans_exported']} spans uninstrumented")
    if not contender.startswith("uninstrumented") and result["spans_exported"] <= 0:
        raise BenchError(f"{scenario}/{contender}: produced no spans; it does not instrument this workload "
                         f"as set up (stderr: {done.stderr[-1500:]})")
    return result


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def fmt(s: dict, digits: int = 0, suffix: str = "") -> str:
    if len(s["runs"]) == 1:
        return f"{s['median']:.{digits}f}{suffix}"
    return f"{s['median']:.{digits}f}{suffix} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def step_scenario(key: str, rounds: int, scale: float, peers: bool, log) -> dict:
    scenario, steps, warmup, extra_rounds, peer_names = SCENARIOS[key]
    rounds += extra_rounds if rounds > 1 else 0  # the noisier scenarios (ms per step, many threads) get more
    steps = max(5, int(steps * scale))
    warmup = max(3, int(warmup * scale))
    # the span count ours makes per step, for the floor: from a short calibration run of ours
    calibration = run_workload(scenario, "ours", max(5, steps // 10), warmup)
    floor_spans = round(calibration["spans_per_step"])
    contenders = ["uninstrumented", "floor", "ours", "ours, spans only"] + (
        ["ours+content", *peer_names] if peers and peer_names else [])
    baseline_of = {c: "uninstrumented" for c in contenders}
    versions = {}
    # A peer venv whose workload versions differ from ours gets its own uninstrumented baseline
    if peers:
        main_versions = run_workload(scenario, "uninstrumented", 3, 1)["versions"]
        for peer in peer_names:
            peer_versions = run_workload(scenario, peer, 3, 1)["versions"]
            differs = [n for n in ("langchain-core", "langgraph", "openai", "opentelemetry-sdk")
                       if peer_versions.get(n) != main_versions.get(n)]
            if differs:
                contenders.append(f"uninstrumented@{peer}")
                baseline_of[peer] = baseline_of[f"uninstrumented@{peer}"] = f"uninstrumented@{peer}"
                log(f"  {peer}: {', '.join(f'{n} {peer_versions.get(n)}' for n in differs)} (ours: "
                    f"{', '.join(str(main_versions.get(n)) for n in differs)}): own uninstrumented baseline")
    runs: dict[str, list[dict]] = {c: [] for c in contenders}
    for r in range(rounds):
        order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
        for contender in order:
            result = run_workload(scenario, contender, steps, warmup, floor_spans if contender == "floor" else 0)
            runs[contender].append(result)
            versions[contender] = result["versions"]
        log(f"  round {r + 1}/{rounds}: " + ", ".join(f"{c} {runs[c][-1]['us_per_step']:.0f}" for c in contenders))
    floor_per_span = [f["floor_spans_us_per_step"] / floor_spans for f in runs["floor"]]
    rows = {}
    for contender in contenders:
        base = runs[baseline_of[contender]]
        us = [x["us_per_step"] for x in runs[contender]]
        row = {"us_per_step": spread(us),
               "ratio_to_uninstrumented": spread([u / b["us_per_step"] for u, b in zip(us, base)]),
               "spans_per_step": statistics.median(x["spans_per_step"] for x in runs[contender]),
               "spans_per_step_by_round": [x["spans_per_step"] for x in runs[contender]],
               "attributes_per_span": statistics.median(x.get("attributes_per_span", 0) for x in runs[contender]),
               "dropped": sum(x["dropped"] for x in runs[contender]),
               "span_names": runs[contender][-1]["span_names"], "baseline": baseline_of[contender]}
        if not contender.startswith("uninstrumented"):
            overhead = [u - b["us_per_step"] for u, b in zip(us, base)]
            row["overhead_us_per_step"] = spread(overhead)
            if contender != "floor":
                row["overhead_over_floor"] = spread([
                    o / (fps * x["spans_per_step"]) for o, fps, x in zip(overhead, floor_per_span, runs[contender])])
        rows[contender] = row
    rows["floor"]["floor_spans_alone_us_per_step"] = spread([f["floor_spans_us_per_step"] for f in runs["floor"]])
    if "ours" in rows:
        for peer in peer_names if peers else ():
            # a ratio of the medians: one round's overhead can be near zero (or below) in the noise
            rows[peer]["overhead_over_ours"] = (rows[peer]["overhead_us_per_step"]["median"]
                                                / rows["ours"]["overhead_us_per_step"]["median"])
    return {"title": TITLES[key], "workload": scenario, "steps": steps, "warmup": warmup, "rounds": rounds,
            "floor_spans_per_step": floor_spans, "floor_us_per_span": spread(floor_per_span),
            "contenders": rows, "versions": versions}


def step_table(data: dict) -> str:
    lines = [f"### {data['title']}", "",
             f"{data['steps']} steps after {data['warmup']} warm-up, {data['rounds']} interleaved rounds; "
             f"median (min–max) over rounds of each process's cheapest fifth, in process CPU µs (every thread). Bare-SDK floor: {data['floor_us_per_span']['median']:.1f} µs per "
             f"empty span.", "",
             "| contender | spans/step | attrs/span | µs/step | × uninstrumented | overhead µs/step | overhead / floor (same spans) "
             "| peer overhead / ours | dropped |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, row in data["contenders"].items():
        over = row.get("overhead_us_per_step")
        lines.append("| " + " | ".join([
            name + (f" (vs {row['baseline']})" if row["baseline"] != "uninstrumented" and
                    not name.startswith("uninstrumented") else ""),
            f"{row['spans_per_step']:g}", f"{row['attributes_per_span']:.1f}", fmt(row["us_per_step"]), fmt(row["ratio_to_uninstrumented"], 2, "x"),
            fmt(over) if over else "–",
            fmt(row["overhead_over_floor"], 2, "x") if "overhead_over_floor" in row else "–",
            f"{row['overhead_over_ours']:.2f}x" if "overhead_over_ours" in row else "–",
            str(row["dropped"])]) + " |")
    return "\n".join(lines)


# -- (d) start-up -------------------------------------------------------------------------------------

UPSTREAM_ALONE = "upstream alone"  # opentelemetry-instrument python -c pass with ours switched off


def startup(rounds: int, log) -> dict:
    venv_bin = MAIN_PYTHON.parent
    instrument = [str(venv_bin / "opentelemetry-instrument"), str(MAIN_PYTHON), "-c", "pass"]
    commands = {"python -c pass": [str(MAIN_PYTHON), "-c", "pass"],
                "python -c 'import agent_os_otel'": [str(MAIN_PYTHON), "-c", "import agent_os_otel"],
                UPSTREAM_ALONE: instrument,
                "opentelemetry-instrument python -c pass": instrument}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENT_OS_OTEL_"))}
    env["OTEL_SERVICE_NAME"] = "bench"
    # upstream's launcher and sitecustomize with none of ours loaded: no distro, configurator or instrumentor
    envs = {name: env for name in commands}
    envs[UPSTREAM_ALONE] = {**env, "OTEL_PYTHON_DISTRO": "none", "OTEL_PYTHON_CONFIGURATOR": "none",
                            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agent_os,langchain,openai,openai_agents"}
    times: dict[str, list[float]] = {name: [] for name in commands}
    where = tempfile.mkdtemp(prefix="bench-startup-")  # whatever a run writes lands there, not in the repo
    # pip compiles a package's .pyc files when it installs it; our editable install is not, and with
    # PYTHONDONTWRITEBYTECODE set (as on CI machines) every run would compile our modules again: a cost
    # users do not pay, so compile them once here
    subprocess.run([str(MAIN_PYTHON), "-m", "compileall", "-q", str(ROOT / "src")], check=True, capture_output=True)
    for name, command in commands.items():  # warm the page cache and .pyc files
        subprocess.run(command, capture_output=True, env=envs[name], check=True, cwd=where)
    for _ in range(rounds * 4):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, env=envs[name], check=True, cwd=where)
            times[name].append((time.perf_counter() - started) * 1000)
    base = times["python -c pass"]
    rows = {name: {"ms": spread(t), "over_python_ms": spread([x - b for x, b in zip(t, base)])}
            for name, t in times.items()}
    importtime = subprocess.run([str(MAIN_PYTHON), "-X", "importtime", "-c", "import agent_os_otel"], check=False,
                                capture_output=True, text=True, env=env).stderr
    cumulative = [int(m.group(1)) for m in re.finditer(r"\|\s*(\d+) \| agent_os_otel$", importtime, re.MULTILINE)]
    log("  " + ", ".join(f"{n} {rows[n]['ms']['median']:.0f} ms" for n in rows))
    ours_over_upstream = spread([x - u for x, u in zip(times["opentelemetry-instrument python -c pass"],
                                                        times[UPSTREAM_ALONE])])
    return {"title": TITLES["d"], "runs_per_command": rounds * 4, "commands": rows,
            "ours_over_upstream_ms": ours_over_upstream,
            "import_agent_os_otel_cumulative_us": cumulative[-1] if cumulative else None}


def startup_table(data: dict) -> str:
    lines = [f"### {data['title']}", "", f"{data['runs_per_command']} interleaved runs each; median (min–max). "
             f"`-X importtime` cumulative for `agent_os_otel`: {data['import_agent_os_otel_cumulative_us'] / 1000:.0f} ms."
             if data["import_agent_os_otel_cumulative_us"] else "", "",
             "| command | ms | over `python -c pass`, ms |", "|---|---:|---:|"]
    for name, row in data["commands"].items():
        shown = "`opentelemetry-instrument python -c pass`, none of ours loaded (upstream alone)" \
            if name == UPSTREAM_ALONE else f"`{name}`"
        lines.append(f"| {shown} | {fmt(row['ms'])} | {fmt(row['over_python_ms'])} |")
    lines += ["", f"Ours over upstream alone (same runs): {fmt(data['ours_over_upstream_ms'])} ms."]
    return "\n".join(lines)


# -- (e) memory ---------------------------------------------------------------------------------------


def memory(rounds: int, actions: int, log) -> dict:
    runs: dict[str, list[dict]] = {c: [] for c in ("uninstrumented", "ours")}
    for r in range(rounds):
        for contender in (("uninstrumented", "ours") if r % 2 == 0 else ("ours", "uninstrumented")):
            runs[contender].append(run_workload("memory", contender, actions, 200))
    rows = {c: {"peak_rss_mib": spread([x["peak_rss_kb"] / 1024 for x in v]),
                "rss_growth_mib": spread([(x["rss_kb_after"] - x["rss_kb_before"]) / 1024 for x in v]),
                "spans": statistics.median(x["spans_exported"] for x in v),
                "dropped": sum(x["dropped"] for x in v)} for c, v in runs.items()}
    log("  " + ", ".join(f"{c} peak {rows[c]['peak_rss_mib']['median']:.1f} MiB" for c in rows))
    return {"title": TITLES["e"], "actions": actions, "rounds": rounds, "contenders": rows}


def memory_table(data: dict) -> str:
    lines = [f"### {data['title']}", "", f"{data['actions']:,} `KernelSpace.syscall` after 200 warm-up, "
             f"{data['rounds']} runs each; median (min–max).", "",
             "| contender | peak RSS MiB | RSS growth over the actions MiB | spans exported | dropped |",
             "|---|---:|---:|---:|---:|"]
    for name, row in data["contenders"].items():
        lines.append(f"| {name} | {fmt(row['peak_rss_mib'], 1)} | {fmt(row['rss_growth_mib'], 1)} | "
                     f"{row['spans']:.0f} | {row['dropped']} |")
    return "\n".join(lines)


# -- (f) collector ------------------------------------------------------------------------------------


def collector(log) -> dict:
    done = subprocess.run([str(MAIN_PYTHON), str(BENCH / "collector_bench.py")], check=False, capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    if done.returncode:
        raise BenchError(f"collector_bench.py failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    rows = {}
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].replace(",", "").isdigit():
            rows[cells[0]] = {"spans_per_s": int(cells[1].replace(",", "")), "relative": float(cells[2])}
    audit = re.search(r"audit records/s.*?: ([\d,]+)", done.stdout)
    log("  " + ", ".join(f"{k}: {v['spans_per_s']:,} spans/s" for k, v in rows.items()))
    return {"title": TITLES["f"], "pipelines": rows, "output": done.stdout,
            "audit_records_per_s": int(audit.group(1).replace(",", "")) if audit else None}


def collector_table(data: dict) -> str:
    return f"### {data['title']}\n\n" + data["output"].strip()


# -- machine ------------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem / 1024 / 1024, 1),
            "python": platform.python_version(), "os": platform.platform(), "load_avg_at_start": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every scenario's step count")
    parser.add_argument("--scenarios", default="a,b,c,d,e,f")
    parser.add_argument("--no-peers", action="store_true", help="uninstrumented, floor and ours only")
    parser.add_argument("--quick", action="store_true", help="1 round, few steps, no peers, scenarios a-c")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "latest.json")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.scale, args.no_peers, args.scenarios = 1, 0.05, True, "a,b,c"
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.0f}s] {message}", file=sys.stderr, flush=True)

    report = {"generated": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "command": " ".join(sys.argv), "rounds": args.rounds, "scale": args.scale,
              "peers": not args.no_peers, "scenarios": {}, "errors": {}}
    tables = []
    for key in wanted:
        log(TITLES[key])
        try:
            if key in SCENARIOS:
                data = step_scenario(key, args.rounds, args.scale, not args.no_peers, log)
                table = step_table(data)
            elif key == "d":
                data = startup(args.rounds, log)
                table = startup_table(data)
            elif key == "e":
                data = memory(min(args.rounds, 3), max(100, int(MEMORY_ACTIONS * min(args.scale, 1) or 1)), log)
                table = memory_table(data)
            elif key == "f":
                data = collector(log)
                table = collector_table(data)
            else:
                raise BenchError(f"unknown scenario {key!r}")
        except (BenchError, subprocess.SubprocessError, OSError) as error:
            report["errors"][key] = str(error)
            log(f"  ERROR: {error}")
            table = f"### {TITLES.get(key, key)}\n\nERROR: {str(error).splitlines()[0]}"
        else:
            report["scenarios"][key] = data
        tables.append(table)
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    m = report["machine"]
    print(f"## agent-os-otel benchmark\n\n{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, Python {m['python']}, "
          f"{m['os']}; {report['seconds']:.0f} s; full numbers and versions in {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}\n")
    print("\n\n".join(tables))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
