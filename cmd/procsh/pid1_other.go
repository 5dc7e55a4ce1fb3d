//go:build !linux

package main

// asInit reports false: the PID 1 half is Linux-only (containers).
func asInit() (status int, ok bool) { return 0, false }
