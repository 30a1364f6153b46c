package store

import (
	"encoding/json"
	"fmt"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/job"
)

// storedParts is how a revision's parts are kept in one text column: each
// blob key once, and each span as [key index, offset, size], so a
// revision that reads one blob at many places (a prepared document made
// from ranges of its upload) stays small.
type storedParts struct {
	Keys  []string   `json:"keys"`
	Spans [][3]int64 `json:"spans"`
}

// EncodeParts is the column text of a revision's parts: "" for a revision
// stored whole (job.Revision.Parts nil).
func EncodeParts(r job.Revision) string {
	if r.Parts == nil {
		return ""
	}
	var sp storedParts
	index := map[string]int64{}
	for _, s := range r.Parts {
		i, ok := index[s.Key]
		if !ok {
			i = int64(len(sp.Keys))
			index[s.Key] = i
			sp.Keys = append(sp.Keys, s.Key)
		}
		sp.Spans = append(sp.Spans, [3]int64{i, s.Offset, s.Size})
	}
	b, _ := json.Marshal(sp) // strings and numbers only
	return string(b)
}

// DecodeParts reads what EncodeParts wrote into r.Parts, checking that the
// spans add up to r.Size.
func DecodeParts(text string, r *job.Revision) error {
	if text == "" {
		r.Parts = nil
		return nil
	}
	var sp storedParts
	if err := json.Unmarshal([]byte(text), &sp); err != nil {
		return fmt.Errorf("store: revision parts: %w", err)
	}
	parts := make([]blob.Span, 0, len(sp.Spans))
	var total int64
	for _, s := range sp.Spans {
		if s[0] < 0 || s[0] >= int64(len(sp.Keys)) {
			return fmt.Errorf("store: revision parts: key %d of %d", s[0], len(sp.Keys))
		}
		parts = append(parts, blob.Span{Key: sp.Keys[s[0]], Offset: s[1], Size: s[2]})
		total += s[2]
	}
	if total != r.Size {
		return fmt.Errorf("store: revision parts hold %d bytes, the revision %d", total, r.Size)
	}
	r.Parts = parts
	return nil
}
