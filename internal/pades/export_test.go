package pades

// FitAfter is a ContentsFit that has seen a CMS of n bytes at level.
func FitAfter(level Level, n int) *ContentsFit {
	f := &ContentsFit{}
	f.made(level, n)
	return f
}

// FitDocumentTimeStamps has s reserve room as if it had made a document
// time-stamp of n bytes.
func FitDocumentTimeStamps(s *Sealer, n int) { s.docTimeStamps.made(BB, n) }
