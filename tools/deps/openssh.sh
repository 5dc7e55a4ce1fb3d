#!/usr/bin/env bash
# Component: OpenSSH (server and client) for the SSH backend's tests, which
# start a real sshd on 127.0.0.1 and compare against `ssh`.
set -euo pipefail
if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null; then
	exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq openssh-server openssh-client >/dev/null
