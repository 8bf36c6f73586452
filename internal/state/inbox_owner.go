//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package state

import (
	"os"
	"syscall"
)

// chownLike gives f the owner of dir when this process runs as root and they differ: root's
// `reaper apply` writes into the inbox of a daemon that runs as another user (the unit's
// DynamicUser), which must be able to read and remove the entry. Other users cannot give files
// away and need not: the entry is theirs, in a directory they can write.
func chownLike(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}

// ownerOf returns the user ID that owns fi; ok is false when it cannot be told.
func ownerOf(fi os.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
