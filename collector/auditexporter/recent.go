package auditexporter // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"

import (
	"bytes"
	"encoding/json"
	"os"
)

// tailBytes is how much of the end of the trail (across rotated files) is read on open to remember
// its latest ids: some 20,000 records, far more than a queue replays after a crash.
const tailBytes = 8 << 20

// rememberedIDs bounds how many recent record ids the trail remembers (about 13 MiB at most). It
// exceeds what tailBytes can hold (every record is longer than 64 bytes), so loading the tail on
// open never evicts, whatever order the files are read in.
const rememberedIDs = 1 << 17

// recentIDs remembers the ids of the latest records written, so that a batch delivered again is
// not written twice: the persistent queue replays a batch when the collector dies after the batch
// was synced but before the queue marked it done, and a retry after a failed write repeats
// records that were already synced. Records without an id are never treated as duplicates.
type recentIDs struct {
	seen  map[string]struct{}
	order []string // ring buffer of the ids in seen, oldest at next
	next  int
}

func newRecentIDs() *recentIDs {
	return &recentIDs{seen: make(map[string]struct{}, rememberedIDs)}
}

func (r *recentIDs) has(id string) bool {
	_, ok := r.seen[id]
	return ok
}

func (r *recentIDs) add(id string) {
	if id == "" || r.has(id) {
		return
	}
	if len(r.order) < rememberedIDs {
		r.order = append(r.order, id)
	} else {
		delete(r.seen, r.order[r.next])
		r.order[r.next] = id
		r.next = (r.next + 1) % rememberedIDs
	}
	r.seen[id] = struct{}{}
}

// addTail remembers the ids in the last `budget` bytes of the file's complete lines (up to end).
func (r *recentIDs) addTail(f *os.File, end, budget int64) error {
	if end <= 0 || budget <= 0 {
		return nil
	}
	start := max(0, end-budget)
	buf := make([]byte, end-start)
	if _, err := f.ReadAt(buf, start); err != nil {
		return err
	}
	if start > 0 { // the first line is cut: skip it
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	for _, line := range bytes.Split(buf, []byte{'\n'}) {
		var record struct {
			ID string `json:"id"`
		}
		if len(line) > 0 && json.Unmarshal(line, &record) == nil {
			r.add(record.ID)
		}
	}
	return nil
}

// recordID is the id field of an audit record, or "" when it has none.
func recordID(fields map[string]any) string {
	id, _ := fields["id"].(string)
	return id
}
