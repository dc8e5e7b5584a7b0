package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// fsTopDir is FS_TOPDIR_FL (chattr +T): ext4 spreads the directories made in a directory so
// marked over its block groups, as it does those made in the root.
const fsTopDir = 0x00020000

// spreadSubdirectories marks work so that each data directory made in it lands in a block group
// of its own rather than beside work. The first-time phases create a file per request, and ext4
// without a journal (this kind of VM's root filesystem) does not reuse an inode freed in the
// last one to six minutes: each new file in a block group scans past all of them. Right after a
// test suite or an earlier run has removed thousands of files next to the system's temporary
// directory, that made each creation cost up to a millisecond, a tenth of the request; in a
// block group of its own a data directory finds none. Elsewhere the flag is refused or means
// nothing, and the run goes on without it.
func spreadSubdirectories(work string) {
	f, err := os.Open(work)
	if err != nil {
		return
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return
	}
	unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsTopDir))
}

// newDataDir makes an empty data directory for a cloudlet the harness starts: name-<random>, so
// that ext4 chooses its block group afresh (it starts its search from a hash of the name).
func newDataDir(work, name string) (string, error) {
	return os.MkdirTemp(work, name+"-")
}
