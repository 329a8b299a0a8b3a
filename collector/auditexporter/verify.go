package auditexporter // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gowebpki/jcs"
)

// ChainEnd is where a verified chain ends. Removing records from the end of a trail leaves a
// valid, shorter chain: only a caller that knows the expected last seq (or hash) can tell.
type ChainEnd struct {
	Records int
	Seq     int64
	Hash    string
}

func (c ChainEnd) String() string {
	return fmt.Sprintf("chain ends at seq %d", c.Seq)
}

// VerifyError names the first record that breaks the chain.
type VerifyError struct {
	File   string
	Line   int // 1-based
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// VerifyFiles checks the trail made of paths, in chain order (see ChainFiles): every line must be
// a canonical record, the seqs must run 1, 2, 3, ..., each prev_hash must be the hash of the
// record before (GenesisHash for seq 1), each hash must match its record's content and each
// signature must be the HMAC of the hash under key. It returns where the valid chain ends, and a
// *VerifyError for the first record that fails.
func VerifyFiles(paths []string, key []byte) (ChainEnd, error) {
	end := ChainEnd{Hash: GenesisHash}
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return end, err
		}
		r := bufio.NewReader(f)
		for number := 1; ; number++ {
			line, err := r.ReadBytes('\n')
			if errors.Is(err, io.EOF) && len(line) == 0 {
				break
			}
			if err != nil && !errors.Is(err, io.EOF) {
				f.Close()
				return end, err
			}
			if reason := checkRecord(line, &end, key); reason != "" {
				f.Close()
				return end, &VerifyError{File: path, Line: number, Reason: reason}
			}
		}
		f.Close()
	}
	return end, nil
}

// checkRecord returns what is wrong with line as the record after end, or advances end.
func checkRecord(line []byte, end *ChainEnd, key []byte) string {
	line, complete := bytes.CutSuffix(line, []byte("\n"))
	if !complete {
		return "the last line is incomplete (torn write or truncated file)"
	}
	canonical, err := jcs.Transform(line)
	if err != nil {
		return fmt.Sprintf("not valid JSON: %v", err)
	}
	if !bytes.Equal(canonical, line) {
		return "not in canonical (RFC 8785) form: the line was edited"
	}
	var record map[string]json.RawMessage
	if err := json.Unmarshal(line, &record); err != nil {
		return "not a JSON object"
	}
	var seq int64
	var prevHash, hash, signature string
	if json.Unmarshal(record[fieldSeq], &seq) != nil || json.Unmarshal(record[fieldPrevHash], &prevHash) != nil ||
		json.Unmarshal(record[fieldHash], &hash) != nil || json.Unmarshal(record[fieldSignature], &signature) != nil {
		return "chain fields (seq, prev_hash, hash, signature) missing or of the wrong type"
	}
	if seq != end.Seq+1 {
		return fmt.Sprintf("seq %d where %d was expected: records were removed, inserted or reordered here", seq, end.Seq+1)
	}
	if prevHash != end.Hash {
		return fmt.Sprintf("seq %d: prev_hash does not match the hash of the previous record", seq)
	}
	delete(record, fieldHash)
	delete(record, fieldSignature)
	want, err := hashOf(record)
	if err != nil {
		return fmt.Sprintf("seq %d: cannot hash the record: %v", seq, err)
	}
	if want != hash {
		return fmt.Sprintf("seq %d: hash does not match the record's content: the record was edited", seq)
	}
	if !hmac.Equal([]byte(sign(key, hash)), []byte(signature)) {
		return fmt.Sprintf("seq %d: signature is not valid for this key (forged, or the wrong key)", seq)
	}
	*end = ChainEnd{Records: end.Records + 1, Seq: seq, Hash: hash}
	return ""
}
