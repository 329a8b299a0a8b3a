# Built and tested against openai-agents 0.24. The bridge itself only needs the SDK's public tracing API
# (add_trace_processor, span data types), which is older; the enrichment hooks (a tool call's id, the
# request model of a Responses call, the exception behind a span error) are private names of 0.24 and
# are skipped, with the bridge still working, where a version lacks them.
_instruments = ("openai-agents >= 0.24",)
