//go:build !linux

package sshtest

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; Cleanup still
// stops sshd when the test ends normally.
func dieWithParent(cmd *exec.Cmd) {}
