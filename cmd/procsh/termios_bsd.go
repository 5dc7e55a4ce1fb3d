//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package main

import "golang.org/x/sys/unix"

// ioctlGetTermios is the ioctl that reads a terminal's attributes.
const ioctlGetTermios = unix.TIOCGETA
