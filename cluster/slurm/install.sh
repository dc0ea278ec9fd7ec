#!/usr/bin/env bash
# Install the Debian packages of the single-node SLURM (start.sh) where any is missing: as root with
# apt-get, otherwise say how and exit 2. `make slurm` (a prerequisite of `make test`) calls this.
set -euo pipefail
PACKAGES="slurm-wlm slurmdbd slurm-client munge mariadb-server"
missing=""
for package in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "slurm: missing Debian packages:$missing; install them as root (sudo apt-get install$missing) to run the SLURM test" >&2
  exit 2
fi
echo "slurm: installing$missing (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The packages' own services do not start without systemd (policy-rc.d); start.sh starts its own.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
