#!/usr/bin/env bash
# Component: tmux, the terminal the REPL tests type into (send-keys -l) and
# read the screen of (capture-pane), to check what the user actually sees.
set -euo pipefail
if command -v tmux >/dev/null; then
	exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq tmux >/dev/null
