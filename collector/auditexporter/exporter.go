package auditexporter // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"

import (
	"context"
	"os"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
)

// auditEventName marks the log records that are audit records: as the record's event name or
// as its "event.name" attribute.
const auditEventName = "agent_os.audit"

type auditExporter struct {
	cfg    *Config
	logger *zap.Logger
	sync   func(*os.File) error // (*os.File).Sync; replaceable in tests

	// mu serializes writes: with the queue disabled, pushLogs is called concurrently.
	mu      sync.Mutex
	trail   *trail
	ignored int64 // non-audit records seen since start
}

func newAuditExporter(cfg *Config, logger *zap.Logger) *auditExporter {
	return &auditExporter{cfg: cfg, logger: logger, sync: (*os.File).Sync}
}

func (e *auditExporter) start(context.Context, component.Host) error {
	key, err := e.cfg.loadKey()
	if err != nil {
		return err
	}
	t, err := openTrail(e.cfg.Path, e.cfg.maxSize(), key, e.sync, e.logger)
	if err != nil {
		return err
	}
	e.trail = t
	e.logger.Info("Audit trail opened", zap.String("path", e.cfg.Path), zap.Int64("last_seq", t.last.seq))
	return nil
}

func (e *auditExporter) shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.trail == nil {
		return nil
	}
	return e.trail.close()
}

// pushLogs appends the audit records of ld to the trail, in order, and returns once they are synced.
func (e *auditExporter) pushLogs(_ context.Context, ld plog.Logs) error {
	var records []map[string]any
	ignored, malformed := 0, 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if !isAuditRecord(lr) {
					ignored++
					continue
				}
				fields, ok := recordFields(lr.Body())
				if !ok {
					malformed++
				}
				records = append(records, fields)
			}
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if ignored > 0 {
		e.ignored += int64(ignored)
		e.logger.Debug("Ignored log records that are not audit records (route only agent_os.audit events to this exporter)",
			zap.Int("count", ignored), zap.Int64("total_since_start", e.ignored))
	}
	if malformed > 0 {
		e.logger.Warn("Audit records whose body is not a map of JSON-safe values were written as malformed_body",
			zap.Int("count", malformed))
	}
	if len(records) == 0 {
		return nil
	}
	return e.trail.append(records)
}

func isAuditRecord(lr plog.LogRecord) bool {
	if lr.EventName() == auditEventName {
		return true
	}
	name, ok := lr.Attributes().Get("event.name")
	return ok && name.AsString() == auditEventName
}
