#!/usr/bin/env bash
# Installs the real LSP clients the language server's end-to-end tests drive: Neovim and Emacs
# with eglot (Debian packages). Called by scripts/test.sh. Fails loudly when an editor is missing
# and cannot be installed: those tests must never be skipped silently.
set -euo pipefail

missing=()
command -v nvim >/dev/null 2>&1 || missing+=(neovim)
command -v emacs >/dev/null 2>&1 || missing+=(emacs-nox)
dpkg -s elpa-eglot >/dev/null 2>&1 || missing+=(elpa-eglot)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-editors: neovim, emacs and eglot already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-editors: ERROR: missing ${missing[*]} and cannot install them (needs root and apt-get)." >&2
  echo "install-editors: the Neovim/Emacs language-server tests will fail until they are installed." >&2
  exit 1
fi

echo "install-editors: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v nvim >/dev/null && command -v emacs >/dev/null && dpkg -s elpa-eglot >/dev/null
echo "install-editors: done ($(nvim --version | head -1); $(emacs --version | head -1))"
