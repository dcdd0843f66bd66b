#!/usr/bin/env bash
# The main job on a fresh Debian machine (as root): install what is needed, build kvplay,
# bring up the local three-host lab (kvm1, kvm2, nfs) and run playbooks/site.yaml on it.
# Extra arguments go to kvplay (e.g. npm run lab -- --check --diff).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node bin/kvplay.js lab up
exec node bin/kvplay.js playbooks/site.yaml "$@"
