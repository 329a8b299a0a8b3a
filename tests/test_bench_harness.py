"""The benchmark harness runs end to end in its tiny mode and every instrumented contender exports spans.

No timing is asserted: only the shape of bench/results' JSON and the span counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_bench_writes_every_contender_with_spans(tmp_path):
    out = tmp_path / "latest.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["errors"] == {}
    assert {"cpu", "cores", "ram_gib", "python", "os"} <= set(report["machine"])
    assert set(report["scenarios"]) == {"a", "b", "c"}
    for key, scenario in report["scenarios"].items():
        rows = scenario["contenders"]
        assert set(rows) == {"uninstrumented", "floor", "ours", "ours, spans only"}, key
        assert rows["uninstrumented"]["spans_per_step"] == 0
        for name in ("floor", "ours", "ours, spans only"):
            assert rows[name]["spans_per_step"] > 0, (key, name)
            assert rows[name]["ratio_to_uninstrumented"]["median"] > 0
        assert "overhead_over_floor" in rows["ours"]
        assert scenario["versions"]["ours"]["agent-os-otel"]
        assert "| ours |" in done.stdout
