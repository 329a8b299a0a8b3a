package auditexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// writeTrail writes a 12-record trail over four files and returns them in chain order.
func writeTrail(t *testing.T) []string {
	cfg := testConfig(t)
	cfg.MaxSizeBytes = 1200 // three records per file
	e := startExporter(t, cfg, zap.NewNop())
	require.NoError(t, e.pushLogs(context.Background(), auditLogs(1, 12)))
	files, err := ChainFiles(cfg.Path)
	require.NoError(t, err)
	// The cases below rely on this layout: seq 1-3, 4-6, 7-9, 10-12.
	require.Len(t, files, 4)
	for _, f := range files {
		require.Len(t, readRecords(t, f), 3, f)
	}
	return files
}

// editLines rewrites path with edit applied to its lines (each ending in "\n").
func editLines(t *testing.T, path string, edit func([][]byte) [][]byte) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := slices.Collect(bytes.Lines(data))
	require.NoError(t, os.WriteFile(path, bytes.Join(edit(lines), nil), 0o600))
}

func TestVerifyFilesAcceptsTrail(t *testing.T) {
	files := writeTrail(t)
	end, err := VerifyFiles(files, []byte(testKey))
	require.NoError(t, err)
	assert.Equal(t, 12, end.Records)
	assert.Equal(t, int64(12), end.Seq)
	assert.Equal(t, "chain ends at seq 12", end.String())
}

func TestVerifyFilesDetectsTampering(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(t *testing.T, files []string) []string
		key      string
		file     int // index in files of the file named in the error
		line     int
		reason   string
		chainEnd int64 // seq of the last good record before the error
	}{
		{
			name: "byte flipped in a value",
			tamper: func(t *testing.T, files []string) []string {
				editLines(t, files[0], func(lines [][]byte) [][]byte {
					i := bytes.Index(lines[1], []byte("alice"))
					lines[1][i] ^= 0x01
					return lines
				})
				return files
			},
			file: 0, line: 2, reason: "seq 2: hash does not match the record's content", chainEnd: 1,
		},
		{
			name: "line deleted",
			tamper: func(t *testing.T, files []string) []string {
				editLines(t, files[0], func(lines [][]byte) [][]byte { return slices.Delete(lines, 1, 2) })
				return files
			},
			file: 0, line: 2, reason: "seq 3 where 2 was expected", chainEnd: 1,
		},
		{
			name: "lines swapped",
			tamper: func(t *testing.T, files []string) []string {
				editLines(t, files[1], func(lines [][]byte) [][]byte {
					lines[0], lines[1] = lines[1], lines[0]
					return lines
				})
				return files
			},
			file: 1, line: 1, reason: "where 4 was expected", chainEnd: 3,
		},
		{
			name: "rotated file edited and rehashed without the key",
			tamper: func(t *testing.T, files []string) []string {
				editLines(t, files[1], func(lines [][]byte) [][]byte {
					var r map[string]any
					require.NoError(t, json.Unmarshal(lines[2], &r))
					r["decision"] = "deny"
					delete(r, "hash")
					delete(r, "signature")
					hash, err := hashOf(r)
					require.NoError(t, err)
					r["hash"], r["signature"] = hash, sign([]byte("guessed key"), hash)
					line, err := canonicalJSON(r)
					require.NoError(t, err)
					lines[2] = append(line, '\n')
					return lines
				})
				return files
			},
			file: 1, line: 3, reason: "seq 6: signature is not valid for this key", chainEnd: 5,
		},
		{
			name:   "wrong key",
			tamper: func(_ *testing.T, files []string) []string { return files },
			key:    "another key",
			file:   0, line: 1, reason: "seq 1: signature is not valid", chainEnd: 0,
		},
		{
			name: "oldest file missing",
			tamper: func(t *testing.T, files []string) []string {
				require.NoError(t, os.Remove(files[0]))
				return files[1:]
			},
			file: 1, line: 1, reason: "seq 4 where 1 was expected", chainEnd: 0,
		},
		{
			name: "torn last line",
			tamper: func(t *testing.T, files []string) []string {
				editLines(t, files[len(files)-1], func(lines [][]byte) [][]byte {
					last := lines[len(lines)-1]
					lines[len(lines)-1] = last[:len(last)/2]
					return lines
				})
				return files
			},
			file: -1, line: 3, reason: "the last line is incomplete", chainEnd: 11,
		},
		{
			name: "line no longer canonical",
			tamper: func(t *testing.T, files []string) []string {
				editLines(t, files[0], func(lines [][]byte) [][]byte {
					lines[0] = append([]byte(" "), lines[0]...)
					return lines
				})
				return files
			},
			file: 0, line: 1, reason: "not in canonical (RFC 8785) form", chainEnd: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := writeTrail(t)
			named := files[(tt.file+len(files))%len(files)]
			key := testKey
			if tt.key != "" {
				key = tt.key
			}
			end, err := VerifyFiles(tt.tamper(t, files), []byte(key))
			var verr *VerifyError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, named, verr.File)
			assert.Equal(t, tt.line, verr.Line)
			assert.Contains(t, verr.Reason, tt.reason)
			assert.Equal(t, tt.chainEnd, end.Seq)
		})
	}
}

// Dropping the last records leaves a valid chain: only the end position tells.
func TestVerifyFilesTruncatedTail(t *testing.T) {
	files := writeTrail(t)
	active := files[len(files)-1]
	firstOfActive := readRecords(t, active)[0]["seq"]
	editLines(t, active, func(lines [][]byte) [][]byte { return lines[:1] })
	end, err := VerifyFiles(files, []byte(testKey))
	require.NoError(t, err)
	assert.Equal(t, "chain ends at seq "+firstOfActive.(json.Number).String(), end.String())
	assert.Less(t, end.Seq, int64(12))
}
