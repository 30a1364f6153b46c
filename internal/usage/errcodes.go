package usage

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeMonthInvalid = "month-invalid" // a report's month that is not a month like 2026-11 (Invalid, on the field)
	CodeMonthOrder   = "month-order"   // a report's first month is after its last
)
