import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.otlp_receiver import OtlpReceiver

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "redaction" / "corpus"


@pytest.fixture
def receiver():
    with OtlpReceiver() as running:
        yield running


@pytest.fixture(scope="session")
def secrets_corpus() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "secrets.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def second_distro(tmp_path_factory) -> Path:
    """The stock opentelemetry-distro, installed beside ours (its own dir, added via PYTHONPATH)."""
    target = tmp_path_factory.mktemp("second-distro")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         "opentelemetry-distro"],
        check=True,
    )
    return target


@pytest.fixture(scope="session")
def extra_packages(tmp_path_factory) -> Path:
    """Real packages from PyPI beside ours (their own dir, for PYTHONPATH): two contrib instrumentors,
    one whose library is installed (requests) and one whose library is not (pymongo), and a framework."""
    target = tmp_path_factory.mktemp("extra-packages")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         "opentelemetry-instrumentation-requests", "opentelemetry-instrumentation-pymongo",
         "opentelemetry-util-http", "openai"],
        check=True,
    )
    return target
