package staff

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads JPEG headers
	_ "image/png"  // and PNG headers
	"net/http"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/store"
)

// An organisation's logo, which its signers see beside its name on every
// page from their link on (issue 14). Only PNG and JPEG are taken: an SVG
// is a document that can carry script, and segl would be serving it from
// its own origin. The type is read from the bytes, never from the upload's
// claim, and the image's header must say what size it is, within bounds,
// so that no browser is handed a decompression bomb.
const (
	// MaxLogoSize bounds a logo's file, in bytes.
	MaxLogoSize = 200 << 10
	// MaxLogoSide bounds a logo's width and height, in pixels.
	MaxLogoSide = 2000
)

// SetOrgLogo gives an organisation the logo in data, a PNG or JPEG file,
// replacing any it had.
func (s *Service) SetOrgLogo(ctx context.Context, a Admin, number string, data []byte) (store.Logo, error) {
	if err := s.checkAdmin(a); err != nil {
		return store.Logo{}, err
	}
	if _, err := s.org(ctx, number); err != nil {
		return store.Logo{}, err
	}
	mediaType, err := checkLogo(data)
	if err != nil {
		return store.Logo{}, err
	}
	sum := sha256.Sum256(data)
	l := store.Logo{MediaType: mediaType, Data: bytes.Clone(data), SHA256: hex.EncodeToString(sum[:]), UpdatedAt: s.now()}
	if err := s.Store.PutOrgLogo(ctx, a.by(l.UpdatedAt), number, &l); err != nil {
		return store.Logo{}, err
	}
	s.log().Info("staff: organisation logo set", "org", number, "type", mediaType, "size", len(data))
	return l, nil
}

// RemoveOrgLogo takes an organisation's logo away; its pages then show
// its name alone.
func (s *Service) RemoveOrgLogo(ctx context.Context, a Admin, number string) error {
	if err := s.checkAdmin(a); err != nil {
		return err
	}
	if _, err := s.org(ctx, number); err != nil {
		return err
	}
	if err := s.Store.PutOrgLogo(ctx, a.by(s.now()), number, nil); err != nil {
		return err
	}
	s.log().Info("staff: organisation logo removed", "org", number)
	return nil
}

// checkLogo returns the media type of a logo file that segl may serve, or
// why it may not.
func checkLogo(data []byte) (string, error) {
	if len(data) == 0 {
		return "", errs.Field("logo", CodeLogoMissing, "no logo file")
	}
	if len(data) > MaxLogoSize {
		return "", errs.Field("logo", CodeLogoTooLarge, "the logo is %d bytes, at most %d", len(data), MaxLogoSize)
	}
	// The WHATWG sniffing algorithm, as browsers apply it: what the bytes
	// are, whatever the file was called.
	mediaType := http.DetectContentType(data)
	if mediaType != "image/png" && mediaType != "image/jpeg" {
		return "", errs.Field("logo", CodeLogoType, "the logo is %s, not PNG or JPEG", mediaType)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != mediaType {
		return "", errs.Field("logo", CodeLogoType, "the logo is not a readable PNG or JPEG image")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return "", errs.Field("logo", CodeLogoTooLarge, "the logo is %d×%d pixels, at most %d a side", cfg.Width, cfg.Height, MaxLogoSide)
	}
	return mediaType, nil
}
