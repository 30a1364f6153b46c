//go:build unix

package fs

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// openFile opens name as os.OpenFile does, with fewer system calls. On
// Linux os.OpenFile offers every file to the network poller: four fcntl
// calls to make it non-blocking and back, and an epoll_ctl that regular
// files and directories refuse. A blob, a temporary file or a directory
// never blocks, so openFile opens the descriptor itself and hands it to
// os.NewFile, which leaves it out of the poller (one fcntl).
func openFile(name string, flag int, perm uint32) (*os.File, error) {
	fd, err := open(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// open is open(2) with O_CLOEXEC, tried again when a signal interrupts it.
func open(name string, flag int, perm uint32) (int, error) {
	for {
		fd, err := syscall.Open(name, flag|syscall.O_CLOEXEC, perm)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return fd, nil
	}
}

// createTempIn makes a new file in dir named prefix and a random number,
// as os.CreateTemp does (mode 0600, never an existing file), through
// openFile.
func createTempIn(dir, prefix string) (*os.File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := openFile(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return f, err
	}
}

// fsyncDir syncs the directory dir: its descriptor is opened, synced and
// closed without an os.File (three system calls, not eight).
func fsyncDir(dir string) error {
	fd, err := open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	for err = syscall.Fsync(fd); errors.Is(err, syscall.EINTR); {
		err = syscall.Fsync(fd)
	}
	if err != nil {
		return &fs.PathError{Op: "sync", Path: dir, Err: err}
	}
	return nil
}
