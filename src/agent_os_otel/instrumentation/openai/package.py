# Built and tested against openai 3.57 (httpx2 transport); the hook points (resource classes under
# openai.resources, SyncAPIClient._sleep_for_retry, the lib.streaming helpers) date back to 1.99.
_instruments = ("openai >= 1.99",)
