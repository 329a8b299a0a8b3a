package auditexporter // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"

	"github.com/gowebpki/jcs"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// GenesisHash is the prev_hash of the first record of a trail.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Fields the exporter adds to every record, and the field holding a body it cannot write as is.
const (
	fieldSeq       = "seq"
	fieldPrevHash  = "prev_hash"
	fieldHash      = "hash"
	fieldSignature = "signature"
	fieldMalformed = "malformed_body"
)

// maxSafeInteger is the largest integer RFC 8785 (which writes numbers as IEEE-754 doubles)
// represents exactly; verifiers such as Python's rfc8785 reject larger ones.
const maxSafeInteger = 1<<53 - 1

// link is a position in the chain: the seq and hash of its latest record.
type link struct {
	seq  int64
	hash string
}

var genesis = link{seq: 0, hash: GenesisHash}

// recordFields returns the top-level fields of the record for a log body: the body map itself,
// or {"malformed_body": <the body's string form>} when the body is not a map that can be written
// faithfully (not a map, uses a chain field name, or holds a number RFC 8785 would alter).
func recordFields(body pcommon.Value) (fields map[string]any, ok bool) {
	if body.Type() == pcommon.ValueTypeMap {
		fields = body.Map().AsRaw()
		_, seq := fields[fieldSeq]
		_, prev := fields[fieldPrevHash]
		_, hash := fields[fieldHash]
		_, sig := fields[fieldSignature]
		if !seq && !prev && !hash && !sig && exactInJCS(fields) {
			return fields, true
		}
	}
	return map[string]any{fieldMalformed: body.AsString()}, false
}

// exactInJCS reports whether every number in v (a pcommon AsRaw value) survives canonicalization unchanged.
func exactInJCS(v any) bool {
	switch t := v.(type) {
	case int64:
		return t >= -maxSafeInteger && t <= maxSafeInteger
	case float64:
		return math.Abs(t) <= maxSafeInteger // also false for NaN and ±Inf, which JSON cannot hold
	case map[string]any:
		for _, e := range t {
			if !exactInJCS(e) {
				return false
			}
		}
	case []any:
		for _, e := range t {
			if !exactInJCS(e) {
				return false
			}
		}
	}
	return true
}

// seal adds the chain fields after prev to fields and returns the record's line (its RFC 8785
// canonical JSON and "\n") and its position in the chain.
func seal(fields map[string]any, prev link, key []byte) ([]byte, link, error) {
	next := link{seq: prev.seq + 1}
	fields[fieldSeq] = next.seq
	fields[fieldPrevHash] = prev.hash
	var err error
	if next.hash, err = hashOf(fields); err != nil {
		return nil, link{}, err
	}
	fields[fieldHash] = next.hash
	fields[fieldSignature] = sign(key, next.hash)
	line, err := canonicalJSON(fields)
	if err != nil {
		return nil, link{}, err
	}
	return append(line, '\n'), next, nil
}

// canonicalJSON is the RFC 8785 (JCS) form of v.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(raw)
}

// hashOf is the lowercase hex SHA-256 of the canonical JSON of a record without hash and signature.
func hashOf(unsigned any) (string, error) {
	canonical, err := canonicalJSON(unsigned)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// sign is the lowercase hex HMAC-SHA256 of the ASCII hex hash.
func sign(key []byte, hash string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(hash))
	return hex.EncodeToString(mac.Sum(nil))
}
