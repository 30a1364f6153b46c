package staff_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/staff"
)

// imageOf encodes a w×h image with enc.
func imageOf(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 0x0b, G: 0x4f, B: 0x8a, A: 0xff})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encPNG(b *bytes.Buffer, img image.Image) error  { return png.Encode(b, img) }
func encJPEG(b *bytes.Buffer, img image.Image) error { return jpeg.Encode(b, img, nil) }
func encGIF(b *bytes.Buffer, img image.Image) error  { return gif.Encode(b, img, nil) }

// A central administrator sets an organisation's logo: PNG and JPEG only,
// as the bytes say, small enough, and removes it again. Nobody else can.
func TestOrgLogo(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	for _, tc := range []struct {
		name string
		data []byte
		code string
	}{
		{"fail/empty", nil, staff.CodeLogoMissing},
		{"fail/svg", svg, staff.CodeLogoType},
		{"fail/gif", imageOf(t, 10, 10, encGIF), staff.CodeLogoType},
		{"fail/png-header-only", imageOf(t, 10, 10, encPNG)[:20], staff.CodeLogoType},
		{"fail/too-many-pixels", imageOf(t, staff.MaxLogoSide+1, 1, encPNG), staff.CodeLogoTooLarge},
		{"fail/too-many-bytes", append(imageOf(t, 10, 10, encPNG), make([]byte, staff.MaxLogoSize)...), staff.CodeLogoTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.SetOrgLogo(ctx, e.admin, orgA, tc.data)
			wantCode(t, tc.name, err, errs.Invalid, tc.code)
		})
	}
	if _, err := e.db.OrgLogo(ctx, orgA); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("a refused logo was kept: %v", err)
	}

	_, err := e.svc.SetOrgLogo(ctx, staff.Admin{PID: olaPID}, orgA, imageOf(t, 40, 20, encPNG))
	wantCode(t, "an organisation's own administrator", err, errs.Forbidden, staff.CodeNotAnAdmin)
	_, err = e.svc.SetOrgLogo(ctx, e.admin, "971234563", imageOf(t, 40, 20, encPNG))
	wantCode(t, "an unknown organisation", err, errs.NotFound, staff.CodeOrgNotFound)

	for _, tc := range []struct {
		data []byte
		want string
	}{{imageOf(t, 40, 20, encPNG), "image/png"}, {imageOf(t, 40, 20, encJPEG), "image/jpeg"}} {
		l, err := e.svc.SetOrgLogo(ctx, e.admin, orgA, tc.data)
		if err != nil || l.MediaType != tc.want {
			t.Fatalf("SetOrgLogo = %+v, %v; want %s", l.MediaType, err, tc.want)
		}
		got, err := e.db.OrgLogo(ctx, orgA)
		if err != nil || !bytes.Equal(got.Data, tc.data) || got.MediaType != tc.want || got.SHA256 != l.SHA256 {
			t.Fatalf("stored logo %s %s, %v", got.MediaType, got.SHA256, err)
		}
	}
	if err := e.svc.RemoveOrgLogo(ctx, e.admin, orgA); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.OrgLogo(ctx, orgA); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("logo after removal: %v", err)
	}
}
