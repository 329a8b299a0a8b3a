// Package auditexporter implements the agentos_audit logs exporter: it appends the audit records
// emitted by Agent OS apps (log records named "agent_os.audit") to a JSON-lines file as a
// tamper-evident chain — each line carries a sequence number, the previous line's hash, its own
// hash and an HMAC signature. The format is specified in ../AUDIT_FORMAT.md; VerifyFiles checks it.
package auditexporter // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"
