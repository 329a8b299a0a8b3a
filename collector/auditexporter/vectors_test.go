package auditexporter

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
)

// The test vectors that other verifiers (the Python one) check: regenerate them with
//
//	go test -run TestVectors -update
var updateVectors = flag.Bool("update", false, "rewrite testdata/vectors/chain.jsonl")

const (
	vectorKeyFile = "testdata/vectors/key.txt"
	vectorChain   = "testdata/vectors/chain.jsonl"
)

// vectorRecords are the bodies of the five vector records, written in two batches (3 + 2).
var vectorRecords = []map[string]any{
	{
		"id": "3f1c6a0e9b7d4c2a8e5f1b0d7c9a2e41", "timestamp": "2025-06-01T12:00:00.000Z",
		"agent_id": "agent-alpha", "action": "tool.call", "resource": "filesystem.read:/srv/data/report.csv",
		"decision": "allow", "reason": "allowed by policy", "rule_id": "allow-read-srv",
		"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
		"context": map[string]any{"user": "alice", "session_id": "s-001"},
	},
	{
		"id": "7d2e9c41a0b84f6e9c3d5a1b2e8f0c77", "timestamp": "2025-06-01T12:00:01.250Z",
		"agent_id": "agent-alpha", "action": "shell.exec", "resource": `https://example.com/search?q=<script>&x="1"`,
		"decision": "deny", "reason": "Blocked: command \"rm -rf /\" matched a deny rule\nsecond line\tafter a tab",
		"rule_id": "deny-destructive-shell", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "b7ad6b7169203331",
		"context": map[string]any{"user": "alice", "command": `rm -rf / && echo "done" > /dev/null`, "path": `C:\temp\x`},
	},
	{
		"id": "a8b3c2d1e0f94a7b8c6d5e4f3a2b1c09", "timestamp": "2025-06-01T12:00:02.500Z",
		"agent_id": "agent-ünïcødé", "action": "http.request", "resource": "https://例え.jp/パス?q=ü",
		"decision": "deny", "reason": "Zugriff verweigert — 禁止 🚫 (emoji & CJK)", "rule_id": "deny-external-http",
		"trace_id": "", "span_id": "",
		// Keys whose RFC 8785 order (UTF-16 code units) differs from code-point order: "😀" < "ﬁ".
		"context": map[string]any{"user": "zoë", "ﬁle": "ligature key", "😀": "emoji key", "é": "accent key", "A": "upper", "a": "lower"},
	},
	{
		"id": "c4d5e6f708194a2b3c4d5e6f7a8b9c0d", "timestamp": "2025-06-01T12:00:03.000Z",
		"agent_id": "agent-beta", "action": "memory.write", "resource": "memory://notes/<draft>&'quoted'",
		"decision": "allow", "reason": "control characters: \u0001 \u001f \r\n and DEL \u007f", "rule_id": "allow-memory",
		"trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b9c7c989f97918e1",
		"context": map[string]any{},
	},
	{
		"id": "e1f2a3b4c5d64e7f8a9b0c1d2e3f4a5b", "timestamp": "2025-06-01T12:00:04.750Z",
		"agent_id": "agent-beta", "action": "tool.call", "resource": "tool:send_email",
		"decision": "deny", "reason": "recipient outside the allow-list", "rule_id": "deny-email-external",
		"trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "e457b5a2e4d86bd1",
		"context": map[string]any{"user": "bob", "session_id": "s-002", "to": "mallory@example.net"},
	},
}

func vectorLogs(bodies []map[string]any) plog.Logs {
	ld := plog.NewLogs()
	records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, body := range bodies {
		lr := records.AppendEmpty()
		lr.SetEventName(auditEventName)
		lr.Attributes().PutStr("event.name", auditEventName)
		if err := lr.Body().SetEmptyMap().FromRaw(body); err != nil {
			panic(err)
		}
	}
	return ld
}

func TestVectors(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Path = filepath.Join(t.TempDir(), "chain.jsonl")
	cfg.KeyFile = vectorKeyFile
	e := startExporter(t, cfg, zap.NewNop())
	ctx := context.Background()
	require.NoError(t, e.pushLogs(ctx, vectorLogs(vectorRecords[:3])))
	require.NoError(t, e.pushLogs(ctx, vectorLogs(vectorRecords[3:])))
	got, err := os.ReadFile(cfg.Path)
	require.NoError(t, err)
	if *updateVectors {
		require.NoError(t, os.WriteFile(vectorChain, got, 0o644))
	}

	want, err := os.ReadFile(vectorChain)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "the exporter no longer reproduces the vectors")

	key, err := cfg.loadKey()
	require.NoError(t, err)
	end, err := VerifyFiles([]string{vectorChain}, key)
	require.NoError(t, err)
	assert.Equal(t, int64(5), end.Seq)
	records := readRecords(t, vectorChain)
	assertChain(t, records, string(key))
	for i, r := range records {
		assert.Equal(t, vectorRecords[i]["reason"], r["reason"])
		assert.Equal(t, vectorRecords[i]["context"], r["context"])
	}
}
