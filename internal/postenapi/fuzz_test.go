package postenapi

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
)

// FuzzDecodeManifest feeds the strict decoder and the mapping the
// specification's manifests and damaged variants. Neither may panic.
//
//	go test -run '^$' -fuzz FuzzDecodeManifest -fuzztime 30s -parallel 1 ./internal/postenapi/
func FuzzDecodeManifest(f *testing.F) {
	for _, name := range []string{"portal/manifest.xml", "direct/manifest.xml", "portal/legacy/manifest-legacy.xml"} {
		data, err := os.ReadFile(examples + "/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var pm portalManifest
		if decode(bytes.NewReader(data), &pm) == nil {
			portalRequest(&portalJobRequest{}, &pm, "123456789", now, job.DefaultLimits.DefaultExpiry)
		}
		var dm directManifest
		if decode(bytes.NewReader(data), &dm) == nil {
			directRequest(&directJobRequest{}, &dm, "123456789")
		}
	})
}
