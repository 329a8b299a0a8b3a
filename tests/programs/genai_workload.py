"""Model calls for the model-call dashboard, in rounds so gen_ai.client.* counters grow while Prometheus
scrapes: each round runs the LangGraph example (examples/langgraph_agent.py: an agent governed by Agent OS),
calls two more LangChain chat models (langchain-core's fake, with usage as a provider reports it), and
makes one call that fails, as a provider timeout does.

argv: facts file, then optional --rounds N (default 4) and --pause SECONDS between rounds (default 1.2).
"""

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.support, as the test suite sees it

from harness import finish, rounds

from tests.support.langchain_fakes import ChatFake, reply

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "langgraph_agent.py"
MODELS = {"fake-gpt": (40, 12), "fake-claude": (90, 30)}  # model -> (input, output) tokens per call


def main() -> None:
    example = runpy.run_path(str(EXAMPLE), run_name="langgraph_example")
    calls = failures = 0
    for _ in rounds():
        example["main"]()
        for model, (input_tokens, output_tokens) in MODELS.items():
            chat = ChatFake(model=model, messages=iter([reply("ok", input_tokens, output_tokens)]))
            chat.invoke("status?")
            calls += 1
        failing = ChatFake(model="fake-gpt", messages=iter([TimeoutError("the provider timed out")]))
        try:  # one failed call per round, for the errors panel (recorded with error.type)
            failing.invoke("status?")
        except TimeoutError:
            failures += 1
    finish({"calls": calls, "failures": failures})


if __name__ == "__main__":
    main()
