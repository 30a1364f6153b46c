//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package pki

import "sync"

var dirLock sync.Mutex

// lockDir serialises PKI changes within this process only; platforms without
// flock run the development PKI from one process at a time.
func lockDir(string) (func(), error) {
	dirLock.Lock()
	return dirLock.Unlock, nil
}
