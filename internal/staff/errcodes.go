package staff

import (
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	CodeBrokerSelf   = "broker-self"          // an organisation named as its own broker
	CodeInvalid      = "invalid"              // an organisation's or person's field is not of its form: number, identity number, e-mail, subject, a name that is not text (Invalid, on the field)
	CodeLogoMissing  = "logo-missing"         // no logo file was given (Invalid, on the field "logo")
	CodeLogoTooLarge = "logo-too-large"       // a logo of more than MaxLogoSize bytes or MaxLogoSide pixels a side (Invalid, on "logo")
	CodeLogoType     = "logo-type"            // a logo that is not a PNG or JPEG image (Invalid, on "logo")
	CodeMissing      = "missing"              // an organisation's or person's required field is empty (Invalid, on the field)
	CodeNotAnAdmin   = "not-an-admin"         // a caller who is not an administrator of what they ask to change: not a central administrator, or not one of the organisation (Forbidden)
	CodeNotOnboarded = "not-onboarded"        // a broker that is not an onboarded organisation
	CodeOrgExists    = store.CodeOrgExists    // the organisation number is onboarded already
	CodeOrgNotFound  = store.CodeOrgNotFound  // no organisation with that number
	CodeRoleUnknown  = "role-unknown"         // a role other than admin or sender
	CodeSelf         = "self"                 // an organisation administrator changing or removing themselves, refused so an organisation keeps the administrator who acts (Forbidden)
	CodeTooLong      = job.CodeTooLong        // a name is longer than 200 characters
	CodeTooMany      = job.CodeTooMany        // more brokers than an organisation may name
	CodeUnknownType  = "unknown-type"         // a signature type segl does not offer
	CodeUserExists   = "user-exists"          // the person is a user of the organisation already
	CodeUserNotFound = store.CodeUserNotFound // no such user of the organisation
)
