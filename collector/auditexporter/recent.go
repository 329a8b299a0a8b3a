package auditexporter // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"

import (
	"bytes"
	"encoding/json"
	"os"
)

// rememberedIDs bounds how many recent record ids the trail remembers: far more than the
// records of the few batches a queue can replay, and only a few MiB of memory.
const rememberedIDs = 1 << 16

// tailBytes is how much of the end of the trail is read on open to remember its latest ids.
const tailBytes = 16 << 20

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

// addTail remembers the ids in the last tailBytes of the file's complete lines (up to end).
func (r *recentIDs) addTail(f *os.File, end int64) error {
	start := max(0, end-tailBytes)
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
