_instruments = ("agent-os-kernel >= 3.7",)
