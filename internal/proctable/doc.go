// Package proctable reads the host's process table: the one place procsh
// lists processes, finds them by an environment marker or a command-line
// argument, and follows parent/child trees. The local backend uses it to end
// what a command started; every leak check in the tests uses it to prove
// that nothing was left behind.
//
// A listing of /proc can miss a live process while others are being
// created and reaped (seen on this project's CI kernels under fork churn: a
// freshly started shell absent from the directory listing while its stat
// file was readable). A leak check built on the listing alone can then pass
// by chance, and a kill sweep can skip a process. So every Scan also walks
// the kernel's /proc/<pid>/task/<tid>/children files from this process (and
// from any extra roots given), which name descendants reliably, and adds
// what the listing missed.
//
// The package needs Linux's /proc. On other systems Scan and the functions
// built on it return ErrUnsupported, and Stat reports every process as
// absent.
package proctable
