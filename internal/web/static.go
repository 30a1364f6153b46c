package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file. Pages link to it by its hashed name
// (segl.3fa2c1d0e9b8.css), served as immutable for a year, so a new release
// is never mixed with an old cached stylesheet; the plain name is also
// served, revalidated by ETag.
type asset struct {
	name, hashed string
	etag         string
	ctype        string
	body         []byte
}

type assets struct {
	byName map[string]*asset // plain and hashed names
}

func loadAssets() (*assets, error) {
	a := &assets{byName: make(map[string]*asset)}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		if strings.Contains(name, "/") {
			return fmt.Errorf("%s: static assets are flat, no folders", p)
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:6])
		ext := path.Ext(name)
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		as := &asset{name: name, hashed: strings.TrimSuffix(name, ext) + "." + h + ext,
			etag: `"` + hex.EncodeToString(sum[:16]) + `"`, ctype: ctype, body: body}
		a.byName[as.name] = as
		a.byName[as.hashed] = as
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static: %w", err)
	}
	return a, nil
}

// url is the template function static: the hashed URL of an asset. An
// unknown name fails the template, so a typo is a test failure, not a 404.
func (a *assets) url(name string) (string, error) {
	as, ok := a.byName[name]
	if !ok || as.name != name {
		return "", fmt.Errorf("web: no static asset %q", name)
	}
	return "/static/" + as.hashed, nil
}

func (w *Web) serveAsset(rw http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	as, ok := w.assets.byName[name]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("ETag", as.etag)
	if name == as.hashed {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	// ServeContent answers If-None-Match from the ETag, and ranges.
	http.ServeContent(rw, r, as.name, time.Time{}, bytes.NewReader(as.body))
}
