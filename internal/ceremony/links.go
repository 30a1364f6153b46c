package ceremony

import "net/url"

// What segl derives from its link key (Service.LinkKey) instead of storing
// it: each is an HMAC of what it stands for under a label of its own
// (mac), so any node can recompute it and a copy of the database holds no
// usable secret.

// SignerToken is the secret in a signer's link: an HMAC of the signer id, so
// any node can check it and the database holds no usable secret.
func (s *Service) SignerToken(signerID string) string { return s.mac("signer-link", signerID) }

// SigningPath is the path of a signer's own link, with its token.
func (s *Service) SigningPath(signerID string) string {
	return "/sign/" + url.PathEscape(signerID) + "?" + url.Values{"t": {s.SignerToken(signerID)}}.Encode()
}

// CallbackSecret is the organisation's key for the HMAC on its callbacks,
// derived so that no secret is stored; the organisation reads it through
// the API.
func (s *Service) CallbackSecret(org string) string { return s.mac("callback", org) }
