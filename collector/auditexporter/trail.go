package auditexporter // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.uber.org/zap"
)

// trail appends sealed records to the active audit file and rotates it by size.
//
// Only records that were written completely and synced count: after any failure the file is
// closed, and the next append reopens it and recovers the chain position from disk, exactly as a
// restart does. A retried batch may repeat records that were synced before the failure; recentIDs
// skips those, and the chain on disk never has a gap or a fork.
type trail struct {
	path    string
	maxSize int64 // 0: never rotate
	key     []byte
	sync    func(*os.File) error
	logger  *zap.Logger

	f        *os.File // nil after a failure, until the next append reopens it
	size     int64    // bytes of complete records in f
	firstSeq int64    // seq of f's first record; 0 while f is empty
	last     link     // the chain's latest record
	recent   *recentIDs
}

func openTrail(path string, maxSize int64, key []byte, sync func(*os.File) error, logger *zap.Logger) (*trail, error) {
	t := &trail{path: path, maxSize: maxSize, key: key, sync: sync, logger: logger, recent: newRecentIDs()}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the audit directory: %w", err)
	}
	if err := t.open(); err != nil {
		return nil, err
	}
	return t, nil
}

// open opens (creating if needed) the active file and recovers the chain position: from the
// active file's last complete line, or from the newest rotated file if the active one is empty.
// A torn last line, from a crash in the middle of a write that was therefore never acknowledged,
// is truncated away.
func (t *trail) open() error {
	f, err := os.OpenFile(t.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("cannot open the audit file for appending (is its directory writable?): %w", err)
	}
	if err := t.recover(f); err != nil {
		f.Close()
		return err
	}
	// Make the file's directory entry durable, in case it was just created.
	if err := t.syncDir(); err != nil {
		f.Close()
		return err
	}
	t.f = f
	return nil
}

func (t *trail) recover(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	end, err := completeEnd(f, info.Size())
	if err != nil {
		return err
	}
	if end < info.Size() {
		t.logger.Warn("The audit file ends with an incomplete record from an interrupted write; removing it "+
			"(its batch was never acknowledged)",
			zap.String("path", t.path), zap.Int64("bytes_removed", info.Size()-end))
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("cannot remove the incomplete last record of %s: %w", t.path, err)
		}
		if err := t.sync(f); err != nil {
			return err
		}
	}
	t.size, t.firstSeq, t.last = end, 0, genesis
	if end > 0 {
		if t.last, err = lastLink(f, end); err != nil {
			return fmt.Errorf("cannot continue the audit chain from %s: %w", t.path, err)
		}
		first, err := firstLink(f, end)
		if err != nil {
			return fmt.Errorf("cannot continue the audit chain from %s: %w", t.path, err)
		}
		t.firstSeq = first.seq
		return t.rememberTail(f, end)
	}
	rotated, err := rotatedFiles(t.path)
	if err != nil || len(rotated) == 0 {
		return err
	}
	newest := rotated[len(rotated)-1]
	if t.last, err = fileLastLink(newest); err != nil {
		return fmt.Errorf("cannot continue the audit chain from %s: %w", newest, err)
	}
	return t.rememberTail(f, 0)
}

// rememberTail remembers the ids of the trail's last tailBytes: the active file's complete lines
// (up to activeEnd), then rotated files from the newest back. A queue replay after a crash can reach
// back across rotations, so the active file alone is not enough.
func (t *trail) rememberTail(active *os.File, activeEnd int64) error {
	budget := int64(tailBytes)
	if err := t.recent.addTail(active, activeEnd, budget); err != nil {
		return err
	}
	budget -= activeEnd
	rotated, err := rotatedFiles(t.path)
	if err != nil {
		return err
	}
	for i := len(rotated) - 1; i >= 0 && budget > 0; i-- {
		f, err := os.Open(rotated[i])
		if err != nil {
			return err
		}
		info, err := f.Stat()
		if err == nil {
			err = t.recent.addTail(f, info.Size(), budget)
			budget -= info.Size()
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// append seals the records and writes them, rotating first whenever the next record would take
// the active file past maxSize (a single record larger than maxSize gets a file of its own). It
// returns once everything is synced.
func (t *trail) append(records []map[string]any) error {
	if t.f == nil {
		if err := t.open(); err != nil {
			return err
		}
	}
	var buf []byte
	next := t.last
	var written []string
	for _, fields := range records {
		id := recordID(fields)
		if id != "" && (t.recent.has(id) || slices.Contains(written, id)) {
			t.logger.Debug("Skipped an audit record delivered again (already in the trail)", zap.String("id", id))
			continue
		}
		written = append(written, id)
		line, l, err := seal(fields, next, t.key)
		if err != nil {
			return err
		}
		if t.maxSize > 0 && t.size+int64(len(buf)) > 0 && t.size+int64(len(buf)+len(line)) > t.maxSize {
			if err := t.commit(buf, next); err != nil {
				return err
			}
			if err := t.rotate(); err != nil {
				return err
			}
			buf = buf[:0]
		}
		buf = append(buf, line...)
		next = l
	}
	if err := t.commit(buf, next); err != nil {
		return err
	}
	for _, id := range written { // only once synced: a failed write must be retried, not skipped
		t.recent.add(id)
	}
	return nil
}

// commit writes and syncs buf, whose last record is last.
func (t *trail) commit(buf []byte, last link) error {
	if len(buf) == 0 {
		return nil
	}
	if _, err := t.f.Write(buf); err != nil {
		return t.fail(fmt.Errorf("cannot write to the audit file: %w", err))
	}
	if err := t.sync(t.f); err != nil {
		return t.fail(fmt.Errorf("cannot sync the audit file: %w", err))
	}
	if t.size == 0 {
		t.firstSeq = t.last.seq + 1
	}
	t.size += int64(len(buf))
	t.last = last
	return nil
}

// fail drops what the failed write may have left after the last committed record (best effort:
// the next open repairs a torn line anyway) and closes the file so the next append recovers from disk.
func (t *trail) fail(err error) error {
	if terr := t.f.Truncate(t.size); terr != nil {
		err = errors.Join(err, terr)
	}
	t.f.Close()
	t.f = nil
	return err
}

// rotate renames the active file to rotatedName and starts a new, empty active file.
func (t *trail) rotate() error {
	target := rotatedName(t.path, t.firstSeq)
	err := t.f.Close()
	t.f = nil
	if err != nil {
		return err
	}
	// Rename would silently replace an existing file, and with it part of the trail.
	if _, err := os.Lstat(target); err == nil {
		return fmt.Errorf("cannot rotate the audit file: %s already exists", target)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot rotate the audit file: %w", err)
	}
	if err := os.Rename(t.path, target); err != nil {
		return fmt.Errorf("cannot rotate the audit file: %w", err)
	}
	if err := t.syncDir(); err != nil {
		return err
	}
	return t.open()
}

func (t *trail) syncDir() error {
	dir, err := os.Open(filepath.Dir(t.path))
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := t.sync(dir); err != nil {
		return fmt.Errorf("cannot sync the audit directory: %w", err)
	}
	return nil
}

func (t *trail) close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// rotatedName is the name a rotated file gets: the active file's name with "-" and the first
// record's seq, zero-padded to 20 digits, before the extension (audit.jsonl ->
// audit-00000000000000000001.jsonl), so that names sort in chain order.
func rotatedName(path string, firstSeq int64) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%020d%s", strings.TrimSuffix(path, ext), firstSeq, ext)
}

// rotatedFiles lists the rotated files of the trail whose active file is path, in chain order.
func rotatedFiles(path string) ([]string, error) {
	ext := filepath.Ext(path)
	prefix := strings.TrimSuffix(filepath.Base(path), ext) + "-"
	entries, err := os.ReadDir(filepath.Dir(path)) // sorted by name, hence by seq
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		rest, hasPrefix := strings.CutPrefix(e.Name(), prefix)
		digits, hasExt := strings.CutSuffix(rest, ext)
		if hasPrefix && hasExt && len(digits) == 20 && strings.Trim(digits, "0123456789") == "" {
			files = append(files, filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
	return files, nil
}

// ChainFiles lists the files of the trail whose active file is path, in chain order: the rotated
// files, then the active file if it exists. This is the order VerifyFiles expects.
func ChainFiles(path string) ([]string, error) {
	files, err := rotatedFiles(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err == nil {
		files = append(files, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return files, nil
}

// completeEnd is the offset just past the last '\n' among the first size bytes of f: where its
// complete lines end.
func completeEnd(f *os.File, size int64) (int64, error) {
	nl, err := lastNewline(f, size)
	return nl + 1, err
}

// lastNewline is the offset of the last '\n' before offset `before` in f, or -1.
func lastNewline(f *os.File, before int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for before > 0 {
		n := min(int64(len(buf)), before)
		before -= n
		if _, err := f.ReadAt(buf[:n], before); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return before + int64(i), nil
		}
	}
	return -1, nil
}

// lastLink parses the last line of f, whose complete lines end at end (> 0).
func lastLink(f *os.File, end int64) (link, error) {
	start, err := lastNewline(f, end-1)
	if err != nil {
		return link{}, err
	}
	line := make([]byte, end-1-(start+1))
	if _, err := f.ReadAt(line, start+1); err != nil {
		return link{}, err
	}
	return parseLink(line)
}

// firstLink parses the first line of f, whose complete lines end at end (> 0).
func firstLink(f *os.File, end int64) (link, error) {
	line, err := bufio.NewReader(io.NewSectionReader(f, 0, end)).ReadBytes('\n')
	if err != nil {
		return link{}, err
	}
	return parseLink(line)
}

// fileLastLink parses the last line of a rotated file, which must end with a complete line.
func fileLastLink(path string) (link, error) {
	f, err := os.Open(path)
	if err != nil {
		return link{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return link{}, err
	}
	end, err := completeEnd(f, info.Size())
	if err != nil {
		return link{}, err
	}
	if end == 0 || end != info.Size() {
		return link{}, errors.New("the file does not end with a complete record")
	}
	return lastLink(f, end)
}

func parseLink(line []byte) (link, error) {
	var r struct {
		Seq  int64  `json:"seq"`
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal(line, &r); err != nil || r.Seq < 1 || len(r.Hash) != len(GenesisHash) {
		return link{}, fmt.Errorf("not an audit record with seq and hash: %.200q", line)
	}
	return link{seq: r.Seq, hash: r.Hash}, nil
}
