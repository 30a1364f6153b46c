package pades

// FitAfter is a ContentsFit that has seen a CMS of n bytes at level.
func FitAfter(level Level, n int) *ContentsFit {
	f := &ContentsFit{}
	f.made(level, n)
	return f
}
