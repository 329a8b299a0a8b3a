# LangGraph (langgraph >= 1.0, langgraph-prebuilt >= 1.0) and langchain >= 1.0 (create_agent) are
# instrumented too when installed; only langchain-core is required.
_instruments = ("langchain-core >= 1.0",)
