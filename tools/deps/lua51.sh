#!/usr/bin/env bash
# PUC-Rio Lua 5.1 (Debian's lua5.1): the reference the Lua 5.1
# differential tests (luabind/lua51) compare procsh against.
set -euo pipefail
command -v lua5.1 >/dev/null 2>&1 && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq lua5.1 >/dev/null
command -v lua5.1 >/dev/null
