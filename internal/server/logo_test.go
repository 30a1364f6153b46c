package server_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// adminUpload posts a file as the form field "logo", with the CSRF token of
// page p first, as the browser sends the logo form.
func (b *browser) adminUpload(p page, path, name string, data []byte) page {
	b.t.Helper()
	m := csrfTokenRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", p.url)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", m[1])
	fw, _ := mw.CreateFormFile("logo", name)
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest("POST", b.e.srv.URL+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.check(b.bot.Do(req))
}

var logoRE = regexp.MustCompile(`<img class="sender__logo" src="(/logos/[^"]+)" alt="">`)

// The central administrator uploads an organisation's logo, which its
// signers then see beside its name on their link page before login; it is
// served with its exact type, nosniff and a CSP that allows nothing. An
// SVG (a document that can carry script) is refused; a removed logo is
// gone from the pages and its URL (issue 14).
func TestAdminLogoOnSignerPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.mustCreate(e.client(orgA), directRequest())
	link := j.Signers[0].SigningURL
	b := e.browser(t)
	start := b.get(link)
	start.want(t, http.StatusOK, "Signer dokumenter")
	name := e.orgName(orgA)
	if !strings.Contains(start.body, `<strong class="sender__name">`+name+`</strong>`) || logoRE.MatchString(start.body) {
		t.Fatalf("link page before any logo:\n%s", start.body)
	}

	admin := e.browser(t)
	admin.adminLogin(adminPID)
	orgPage := admin.get("/admin/orgs/" + orgA)
	orgPage.want(t, http.StatusOK, name)

	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)
	refused := admin.adminUpload(orgPage, "/admin/orgs/"+orgA+"/logo", "logo.png", svg)
	if refused.status != http.StatusUnprocessableEntity || !strings.Contains(refused.body, "Logoen må være en PNG- eller JPEG-fil") {
		t.Fatalf("SVG upload: %d\n%s", refused.status, refused.body)
	}

	img := image.NewRGBA(image.Rect(0, 0, 60, 30))
	img.Set(1, 1, color.RGBA{B: 0x8a, A: 0xff})
	var logo bytes.Buffer
	png.Encode(&logo, img)
	saved := admin.adminUpload(orgPage, "/admin/orgs/"+orgA+"/logo", "logo.png", logo.Bytes())
	saved.want(t, http.StatusOK, name)
	if !strings.Contains(saved.body, "Logoen er lagret.") {
		t.Fatalf("after the upload:\n%s", saved.body)
	}

	start = b.get(link)
	m := logoRE.FindStringSubmatch(start.body)
	if m == nil {
		t.Fatalf("the link page does not show the logo:\n%s", start.body)
	}
	got := b.get(m[1])
	h := got.header
	if got.status != http.StatusOK || got.body != logo.String() || h.Get("Content-Type") != "image/png" ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("logo: %d %v", got.status, h)
	}

	orgPage = admin.get("/admin/orgs/" + orgA)
	admin.adminPost(orgPage, "/admin/orgs/"+orgA+"/logo/remove", url.Values{}).want(t, http.StatusOK, name)
	if start = b.get(link); logoRE.MatchString(start.body) {
		t.Fatalf("the link page still shows the removed logo")
	}
	if gone := b.get(m[1]); gone.status != http.StatusNotFound {
		t.Fatalf("the removed logo's URL answers %d", gone.status)
	}
}
