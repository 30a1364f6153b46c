package renewal

// Problem codes (errs.Error.Code) this package produces, named once so that
// the code that makes an error and the code that checks for it cannot drift
// apart. The strings are wire codes: clients and the API documents rely on
// them.
const (
	codeNoDocumentTimeStamp = "no-document-time-stamp" // a file to renew without a document time-stamp: it is not B-LTA
	codeNoTSACertificate    = "no-tsa-certificate"     // the newest document time-stamp does not carry its TSA's certificate
)
