package pgtest

import (
	"os"
	"syscall"
)

func ownerUID(fi os.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Uid
	}
	return 1
}
