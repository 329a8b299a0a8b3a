package auditexporter

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/agent-os-otel/agent-os-otel/collector/auditexporter/internal/metadata"
)

const testKey = "test-key"

// testConfig is a valid config writing to <dir>/audit/audit.jsonl, signed with testKey.
func testConfig(t *testing.T) *Config {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	require.NoError(t, os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600))
	cfg := createDefaultConfig().(*Config)
	cfg.Path = filepath.Join(dir, "audit", "audit.jsonl")
	cfg.KeyFile = keyFile
	return cfg
}

// auditLogs returns n audit records numbered from first, with one non-audit record among them.
func auditLogs(first, n int) plog.Logs {
	ld := plog.NewLogs()
	records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := first; i < first+n; i++ {
		lr := records.AppendEmpty()
		if i%2 == 0 { // either marker makes an audit record
			lr.SetEventName(auditEventName)
		} else {
			lr.Attributes().PutStr("event.name", auditEventName)
		}
		body := lr.Body().SetEmptyMap()
		body.PutStr("id", fmt.Sprintf("rec-%d", i))
		body.PutStr("agent_id", "agent-1")
		body.PutStr("action", "tool.call")
		body.PutStr("resource", fmt.Sprintf("file:///tmp/%d", i))
		body.PutStr("decision", "allow")
		body.PutEmptyMap("context").PutStr("user", "alice")
		if i == first {
			records.AppendEmpty().Body().SetStr("an ordinary log line")
		}
	}
	return ld
}

func startExporter(t *testing.T, cfg *Config, logger *zap.Logger) *auditExporter {
	e := newAuditExporter(cfg, logger)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return e
}

// readRecords decodes every line of the files, in order.
func readRecords(t *testing.T, paths ...string) []map[string]any {
	var records []map[string]any
	for _, path := range paths {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for line := range bytes.Lines(data) {
			require.True(t, bytes.HasSuffix(line, []byte("\n")))
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			var r map[string]any
			require.NoError(t, dec.Decode(&r))
			records = append(records, r)
		}
	}
	return records
}

// assertChain checks the chain of records independently of the package's code.
func assertChain(t *testing.T, records []map[string]any, key string) {
	t.Helper()
	prev := GenesisHash
	for i, r := range records {
		require.Equal(t, json.Number(fmt.Sprint(i+1)), r["seq"], "record %d", i)
		require.Equal(t, prev, r["prev_hash"], "record %d", i)
		unsigned := map[string]any{}
		for k, v := range r {
			if k != "hash" && k != "signature" {
				unsigned[k] = v
			}
		}
		raw, err := json.Marshal(unsigned)
		require.NoError(t, err)
		canonical, err := jcs.Transform(raw)
		require.NoError(t, err)
		sum := sha256.Sum256(canonical)
		hash := hex.EncodeToString(sum[:])
		require.Equal(t, hash, r["hash"], "record %d", i)
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(hash))
		require.Equal(t, hex.EncodeToString(mac.Sum(nil)), r["signature"], "record %d", i)
		prev = hash
	}
}

func TestFactoryLifecycle(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
	cfg := testConfig(t)
	ctx := context.Background()
	exp, err := f.CreateLogs(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(ctx, auditLogs(1, 3)))
	require.NoError(t, exp.Shutdown(ctx)) // drains the queue

	info, err := os.Stat(cfg.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	records := readRecords(t, cfg.Path)
	assert.Len(t, records, 3)
	assertChain(t, records, testKey)
}

func TestStartFailsWhenDirectoryCannotBeCreated(t *testing.T) {
	cfg := testConfig(t)
	blocker := filepath.Join(filepath.Dir(cfg.Path), "file")
	require.NoError(t, os.MkdirAll(filepath.Dir(blocker), 0o700))
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	cfg.Path = filepath.Join(blocker, "audit.jsonl") // its parent is a regular file
	e := newAuditExporter(cfg, zap.NewNop())
	assert.ErrorContains(t, e.start(context.Background(), componenttest.NewNopHost()), "cannot create the audit directory")
}

func TestWriteRecords(t *testing.T) {
	cfg := testConfig(t)
	core, logs := observer.New(zapcore.DebugLevel)
	e := startExporter(t, cfg, zap.New(core))
	ctx := context.Background()
	require.NoError(t, e.pushLogs(ctx, auditLogs(1, 4)))
	require.NoError(t, e.pushLogs(ctx, auditLogs(5, 3)))

	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(auditEventName)
	lr.Body().SetStr("not a map")
	require.NoError(t, e.pushLogs(ctx, ld))

	records := readRecords(t, cfg.Path)
	require.Len(t, records, 8)
	assertChain(t, records, testKey)
	assert.Equal(t, "rec-1", records[0]["id"])
	assert.Equal(t, map[string]any{"user": "alice"}, records[0]["context"])
	assert.Equal(t, "not a map", records[7]["malformed_body"])
	assert.Equal(t, 2, logs.FilterMessageSnippet("not audit records").Len())
	assert.Equal(t, 1, logs.FilterMessageSnippet("malformed_body").Len())
}

func TestRecordFields(t *testing.T) {
	ld := auditLogs(1, 1)
	body := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body()
	body.Map().PutInt("count", 3)
	fields, ok := recordFields(body)
	assert.True(t, ok)
	assert.Equal(t, int64(3), fields["count"])

	body.Map().PutInt("big", 1<<60) // RFC 8785 would round it
	fields, ok = recordFields(body)
	assert.False(t, ok)
	assert.Contains(t, fields["malformed_body"], `"big":1152921504606846976`)

	body.Map().Remove("big")
	body.Map().PutStr("seq", "7") // would clash with the chain
	_, ok = recordFields(body)
	assert.False(t, ok)
}

// TestSyncBeforeAck checks that a batch is synced before pushLogs succeeds, and that a failed
// sync leaves no trace: the retry continues the chain without a gap.
func TestSyncBeforeAck(t *testing.T) {
	cfg := testConfig(t)
	e := newAuditExporter(cfg, zap.NewNop())
	var synced []string
	var failSync bool
	e.sync = func(f *os.File) error {
		if failSync && f.Name() == cfg.Path {
			return errors.New("disk on fire")
		}
		synced = append(synced, f.Name())
		return nil
	}
	ctx := context.Background()
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))
	defer e.shutdown(ctx)
	assert.Contains(t, synced, filepath.Dir(cfg.Path), "the new file's directory entry is synced")

	synced = nil
	require.NoError(t, e.pushLogs(ctx, auditLogs(1, 2)))
	assert.Equal(t, []string{cfg.Path}, synced)

	failSync = true
	assert.ErrorContains(t, e.pushLogs(ctx, auditLogs(3, 2)), "disk on fire")
	assert.Len(t, readRecords(t, cfg.Path), 2, "the unsynced batch is removed")

	failSync = false
	require.NoError(t, e.pushLogs(ctx, auditLogs(3, 2)))
	records := readRecords(t, cfg.Path)
	assert.Len(t, records, 4)
	assertChain(t, records, testKey)
}

// With the queue disabled, the pipeline calls pushLogs concurrently.
func TestConcurrentPushes(t *testing.T) {
	cfg := testConfig(t)
	e := startExporter(t, cfg, zap.NewNop())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 5 {
				assert.NoError(t, e.pushLogs(context.Background(), auditLogs(100*g+10*i, 3)))
			}
		})
	}
	wg.Wait()
	records := readRecords(t, cfg.Path)
	assert.Len(t, records, 60)
	assertChain(t, records, testKey)
}

func TestRestartContinuesChain(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	for batch := range 3 {
		exp, err := NewFactory().CreateLogs(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
		require.NoError(t, exp.ConsumeLogs(ctx, auditLogs(1+3*batch, 3)))
		require.NoError(t, exp.Shutdown(ctx))
	}
	records := readRecords(t, cfg.Path)
	assert.Len(t, records, 9)
	assertChain(t, records, testKey)
	assert.Equal(t, "rec-9", records[8]["id"])
}

func TestTornLastLineIsRemoved(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	e := newAuditExporter(cfg, zap.NewNop())
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))
	require.NoError(t, e.pushLogs(ctx, auditLogs(1, 3)))
	require.NoError(t, e.shutdown(ctx))

	// A crash in the middle of the next write.
	f, err := os.OpenFile(cfg.Path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"action":"tool.call","agent_id":"age`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	core, logs := observer.New(zapcore.WarnLevel)
	e = startExporter(t, cfg, zap.New(core))
	assert.Equal(t, 1, logs.FilterMessageSnippet("incomplete record").Len())
	require.NoError(t, e.pushLogs(ctx, auditLogs(4, 2)))
	records := readRecords(t, cfg.Path)
	assert.Len(t, records, 5)
	assertChain(t, records, testKey)
}

func TestStartRejectsDamagedLastRecord(t *testing.T) {
	cfg := testConfig(t)
	require.NoError(t, os.MkdirAll(filepath.Dir(cfg.Path), 0o700))
	require.NoError(t, os.WriteFile(cfg.Path, []byte("not json\n"), 0o600))
	e := newAuditExporter(cfg, zap.NewNop())
	assert.ErrorContains(t, e.start(context.Background(), componenttest.NewNopHost()), "cannot continue the audit chain")
}

var rotatedPattern = regexp.MustCompile(`^audit-\d{20}\.jsonl$`)

func TestRotation(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxSizeBytes = 1500 // a few records per file
	ctx := context.Background()
	e := startExporter(t, cfg, zap.NewNop())
	for i := 0; i < 30; i += 5 {
		require.NoError(t, e.pushLogs(ctx, auditLogs(1+i, 5)))
	}

	files, err := ChainFiles(cfg.Path)
	require.NoError(t, err)
	require.Greater(t, len(files), 4)
	assert.Equal(t, cfg.Path, files[len(files)-1])
	next := 1
	for _, path := range files {
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.LessOrEqual(t, info.Size(), cfg.MaxSizeBytes, path)
		records := readRecords(t, path)
		require.NotEmpty(t, records)
		if path != cfg.Path {
			assert.Regexp(t, rotatedPattern, filepath.Base(path))
			assert.Equal(t, rotatedName(cfg.Path, int64(next)), path, "named after its first seq")
		}
		next += len(records)
	}
	records := readRecords(t, files...)
	assert.Len(t, records, 30)
	assertChain(t, records, testKey)
}

// TestRestartAfterRotation covers a crash between renaming the active file and writing its
// successor: the chain continues from the newest rotated file.
func TestRestartAfterRotation(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	writeAndStop(t, cfg, auditLogs(1, 3))
	require.NoError(t, os.Rename(cfg.Path, rotatedName(cfg.Path, 1)))

	e := startExporter(t, cfg, zap.NewNop())
	require.NoError(t, e.pushLogs(ctx, auditLogs(4, 2)))
	files, err := ChainFiles(cfg.Path)
	require.NoError(t, err)
	assert.Len(t, files, 2)
	records := readRecords(t, files...)
	assert.Len(t, records, 5)
	assertChain(t, records, testKey)
}

// writeAndStop starts an exporter on cfg, pushes each batch, and shuts it down (a clean stop).
func writeAndStop(t *testing.T, cfg *Config, batches ...plog.Logs) {
	ctx := context.Background()
	e := newAuditExporter(cfg, zap.NewNop())
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))
	for _, batch := range batches {
		require.NoError(t, e.pushLogs(ctx, batch))
	}
	require.NoError(t, e.shutdown(ctx))
}

// A batch delivered again (a queue replay after a crash between fsync and dequeue, or a retry)
// is not written twice, in the same run or after a restart; new records still are.
func TestRedeliveredRecordsAreWrittenOnce(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	writeAndStop(t, cfg, auditLogs(1, 3), auditLogs(1, 3))

	restarted := startExporter(t, cfg, zap.NewNop())
	require.NoError(t, restarted.pushLogs(ctx, auditLogs(2, 3))) // rec-2, rec-3 again, rec-4 new
	records := readRecords(t, cfg.Path)
	ids := make([]any, 0, len(records))
	for _, r := range records {
		ids = append(ids, r["id"])
	}
	assert.Equal(t, []any{"rec-1", "rec-2", "rec-3", "rec-4"}, ids)
	assertChain(t, records, testKey)
}

// After a restart, records replayed from before several rotations are still recognised: the ids
// are remembered from the tail of the rotated files, not only from the active one.
func TestRedeliveryAcrossRotationsAfterRestart(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxSizeBytes = 600 // a couple of records per file
	ctx := context.Background()
	writeAndStop(t, cfg, auditLogs(1, 10))

	restarted := startExporter(t, cfg, zap.NewNop())
	require.NoError(t, restarted.pushLogs(ctx, auditLogs(1, 11))) // all ten again, and rec-11
	files, err := ChainFiles(cfg.Path)
	require.NoError(t, err)
	require.Greater(t, len(files), 3)
	records := readRecords(t, files...)
	assert.Len(t, records, 11)
	assertChain(t, records, testKey)
}
