"""One package per instrumented framework, in the shape of OpenTelemetry contrib instrumentations."""
