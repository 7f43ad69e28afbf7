#!/usr/bin/env bash
# Writes docs/console.png: the operator console's release page in grayscale at 5 %,
# with the served split chart, as the browser test sees it (needs chromium and
# chromium-driver: apt-get install -y chromium chromium-driver).
set -euo pipefail
cd "$(dirname "$0")/.."
GRAYGATE_SCREENSHOT="$PWD/docs/console.png" \
  cargo test --test console an_admin_takes_a_release_from_preparation_through_5_percent_to_full
echo "wrote docs/console.png"
