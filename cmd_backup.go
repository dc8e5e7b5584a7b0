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

// runBackup is `cloudlet backup [--data DIR] DEST`: a consistent copy of the data directory,
// taken while cloudlet serves it, into the new or empty directory DEST.
func runBackup(args []string) int {
	data, dest, ok := parseCopyArgs("backup", "DEST", "data directory to back up (it may be in use)", args)
	if !ok {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := store.Backup(ctx, data, dest)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudlet backup:", err)
		return 1
	}
	fmt.Printf("backed up %d originals and %d derived files (%d bytes) to %s\n", rep.Originals, rep.Derived, rep.Bytes, dest)
	return 0
}

// runRestore is `cloudlet restore [--data DIR] SRC`: the backup SRC, checked, into the new or
// empty data directory DIR.
func runRestore(args []string) int {
	data, src, ok := parseCopyArgs("restore", "SRC", "data directory to restore into (new or empty)", args)
	if !ok {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := store.Restore(ctx, src, data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudlet restore:", err)
		return 1
	}
	fmt.Printf("restored %d originals and %d derived files from %s into %s\n", rep.Originals, rep.Derived, src, data)
	return 0
}

// parseCopyArgs reads --data and the one directory argument of backup and restore.
func parseCopyArgs(cmd, arg, dataUsage string, args []string) (data, dir string, ok bool) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.StringVar(&data, "data", "./data", dataUsage)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cloudlet %s [--data DIR] %s\n", cmd, arg)
		fs.PrintDefaults()
	}
	envDefault(fs, "data")
	if err := fs.Parse(args); err != nil {
		return "", "", false
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", "", false
	}
	return data, fs.Arg(0), true
}
