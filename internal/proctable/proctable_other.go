//go:build !linux

package proctable

func listPIDs() ([]int, error) { return nil, ErrUnsupported }

// Stat reads /proc/<pid>/stat; there is none on this system.
func Stat(pid int) (Proc, error) { return Proc{}, ErrUnsupported }

// Children returns the children of pid; without /proc, none are known.
func Children(pid int) []int { return nil }

func environBytes(pid int) ([]byte, error) { return nil, ErrUnsupported }

func cmdlineBytes(pid int) ([]byte, error) { return nil, ErrUnsupported }

// GroupLive reports false: there is no process table to read here.
func GroupLive(pgid int) bool { return false }

// PipeHolders returns nil: there is no process table to read here.
func PipeHolders(ino uint64) []int { return nil }

// PipeHoldersAny returns nil: there is no process table to read here.
func PipeHoldersAny(inos map[uint64]bool) []int { return nil }
