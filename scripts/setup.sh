#!/usr/bin/env bash
# Installs what kvplay, its tests and its local lab need on a Debian machine (run as root):
# Debian packages (apt-get) and npm packages (npm ci), then builds kvplay (dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# ansible-core: the oracle of the compatibility tests (ansible-inventory, ansible-vault, ansible-playbook, ansible-config)
pkgs=(openssh-server openssh-client sudo iproute2 procps util-linux chromium ansible-core python3-apt curl zip unzip)
if [ -f scripts/lab-deps.txt ]; then
  while read -r p; do [ -n "$p" ] && [ "${p#\#}" = "$p" ] && pkgs+=("$p"); done < scripts/lab-deps.txt
fi
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})" >&2; exit 1; fi
  # keep the machine's own services (e.g. the system sshd) from being started by package scripts
  guard=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; guard=1; fi
  trap '[ $guard = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
mkdir -p /run/sshd
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund; fi
npm run build
# The labs' caches in /var/cache/kvplay (KVPLAY_CACHE_DIR): the container image + the local apt repository,
# then the VM image and its repository disk (the VM lab's test runs last in `npm test`). Built once
# (empty cache: ~1 min + ~4-8 min), a no-op when cached; both commands take the cache lock.
if [ "$(id -u)" = 0 ]; then
  t=$(date +%s)
  node bin/kvplay.js lab build
  node bin/kvplay.js lab build --vm
  echo "lab caches ready in $(( $(date +%s) - t )) s"
fi
