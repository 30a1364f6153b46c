//go:build !unix

package fs

import "os"

// openFile opens name; only Unix saves the poller's calls (sys.go).
func openFile(name string, flag int, perm uint32) (*os.File, error) {
	return os.OpenFile(name, flag, os.FileMode(perm))
}

// createTempIn makes a new file in dir named prefix and a random number.
func createTempIn(dir, prefix string) (*os.File, error) {
	return os.CreateTemp(dir, prefix+"*")
}

// fsyncDir syncs the directory dir through an os.File.
func fsyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
