# The Agent OS example (examples/agent_os_agent.py) under opentelemetry-instrument, for
# docker-compose.yml. Built from the repository root: `docker build -f deploy/example.Dockerfile .`
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# agent-os-kernel[cmvk]: the real Agent OS kernel the example runs on (as in the test extra).
RUN pip install --no-cache-dir . "agent-os-kernel[cmvk]>=3.7"
COPY examples ./examples
# --hold: keep running (and exporting) until standard input closes; compose keeps it open.
CMD ["opentelemetry-instrument", "python", "examples/agent_os_agent.py", "--hold"]
