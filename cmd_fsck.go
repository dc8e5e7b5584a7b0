package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"cloudlet/store"
)

// Exit codes of `cloudlet fsck`.
const (
	fsckClean     = 0 // nothing wrong, or everything found was repaired
	fsckDamaged   = 1 // damage remains: not repaired (no --repair) or not repairable
	fsckCannotRun = 2 // bad usage, no database, the directory in use, an I/O failure
)

// runFsck is `cloudlet fsck`: it checks a stopped cloudlet's data directory, prints one line per
// problem and a summary, and with --repair repairs what can be repaired without losing data.
func runFsck(args []string) int {
	fs := flag.NewFlagSet("fsck", flag.ContinueOnError)
	data := fs.String("data", "./data", "data directory to check (cloudlet must not be running on it)")
	repair := fs.Bool("repair", false, "remove orphan and temp files and the rows of derived files that are gone or damaged")
	checksums := fs.Bool("checksums", false, "read every file and compare its MD5 with the recorded etag")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cloudlet fsck [--data DIR] [--repair] [--checksums]")
		fs.PrintDefaults()
	}
	envDefault(fs, "data")
	if err := fs.Parse(args); err != nil {
		return fsckCannotRun
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "cloudlet fsck: unexpected argument %q\n", fs.Arg(0))
		return fsckCannotRun
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := store.Fsck(ctx, *data, store.FsckOptions{Repair: *repair, Checksums: *checksums})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudlet fsck:", err)
		return fsckCannotRun
	}
	for _, d := range rep.Damage {
		fmt.Println(d)
	}
	remaining := len(rep.Remaining())
	fmt.Printf("checked %d originals, %d derived files, %d files: %d problems, %d repaired, %d remaining\n",
		rep.Originals, rep.Derived, rep.Files, len(rep.Damage), len(rep.Damage)-remaining, remaining)
	if remaining > 0 {
		if !*repair {
			fmt.Println("run with --repair to repair what can be repaired")
		}
		return fsckDamaged
	}
	return fsckClean
}
