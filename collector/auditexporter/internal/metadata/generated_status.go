// Package metadata holds the build information of the agentos_audit exporter. It is the
// hand-written equivalent of what mdatagen generates from ../../metadata.yaml: keep the two in step.
package metadata // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("agentos_audit")
	ScopeName = "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"
)

const (
	LogsStability = component.StabilityLevelAlpha
)
