package dev

// OAuth 2.0 error codes, the "error" member of an error answer, that the
// stand-ins speaking OAuth give: ID-porten (dev/idp), the remote signing
// service (dev/csc, whose CSC v2 error object is OAuth's, CSC API v2
// section 10) and the registers' bearer-token check (dev/registry). They are
// one protocol's vocabulary, so they are named once here rather than in each
// stand-in. The strings are the specifications': the production adapters
// read them.
const (
	CodeAccessDenied            = "access_denied"             // RFC 6749 section 4.1.2.1: the person cancelled the login, or an eID below the level asked for
	CodeInvalidClient           = "invalid_client"            // RFC 6749 section 5.2: an unknown client, or its authentication failed
	CodeInvalidGrant            = "invalid_grant"             // RFC 6749 section 5.2: an authorization code unknown, used, expired, another client's or not matching its PKCE challenge or redirect URI
	CodeInvalidRequest          = "invalid_request"           // RFC 6749 sections 4.1.2.1 and 5.2: a parameter missing, repeated or malformed, or a method the service does not have
	CodeInvalidScope            = "invalid_scope"             // RFC 6749 section 4.1.2.1: a scope without openid
	CodeInvalidToken            = "invalid_token"             // RFC 6750 section 3.1: a bearer token missing, expired or unknown
	CodeLoginRequired           = "login_required"            // OpenID Connect Core 1.0 section 3.1.2.6: prompt=none without a single sign-on session
	CodeRequestNotSupported     = "request_not_supported"     // OpenID Connect Core 1.0 section 3.1.2.6: a request object, which the stand-in does not take
	CodeServerError             = "server_error"              // RFC 6749 section 4.1.2.1: the stand-in failed
	CodeTemporarilyUnavailable  = "temporarily_unavailable"   // RFC 6749 section 4.1.2.1: the stand-in is held (a test's outage) or too busy
	CodeUnsupportedGrantType    = "unsupported_grant_type"    // RFC 6749 section 5.2: a grant other than authorization_code
	CodeUnsupportedResponseType = "unsupported_response_type" // RFC 6749 section 4.1.2.1: a response type other than code
)
