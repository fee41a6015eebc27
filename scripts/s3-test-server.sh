#!/usr/bin/env bash
# A real S3 server for the S3 object store tests: Ceph's RADOS Gateway from Debian's packages, on a
# single-node cluster (one monitor, one OSD on memstore, no manager) held in a temporary folder and bound
# to 127.0.0.1 only. Measured on the 2-core CI machine kind: install ~60 s (once), start ~3 s, stop <1 s.
#
#   scripts/s3-test-server.sh install       apt-get install the packages, if missing (root or sudo)
#   scripts/s3-test-server.sh start DIR     start a cluster in the new folder DIR; writes DIR/env.json
#                                           ({ endpoint, region, accessKeyId, secretAccessKey }) and
#                                           prints it; step timings go to stderr
#   scripts/s3-test-server.sh stop DIR      stop the daemons started in DIR (by their pid files), remove DIR
#
# Nothing here is durable or secure: cephx is off, the OSD keeps its data in memory, and the credentials
# are fixed test values. It exists to run tests against a real S3 implementation, not to store anything.
set -euo pipefail

PACKAGES=(radosgw ceph-mon ceph-osd)
ACCESS_KEY=SIGNETTESTACCESSKEY
SECRET_KEY=signet-test-secret-key
REGION=us-east-1

usage() {
  echo "usage: $0 install | start DIR | stop DIR" >&2
  exit 2
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null; then
    return
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
}

require_packages() {
  for tool in radosgw radosgw-admin ceph-mon ceph-osd ceph monmaptool ceph-authtool; do
    if ! command -v "$tool" >/dev/null; then
      echo "$0: $tool is missing: run \`$0 install\` (apt-get install ${PACKAGES[*]})" >&2
      exit 1
    fi
  done
}

T0=$(date +%s%N)
step() {
  local ms=$((($(date +%s%N) - T0) / 1000000))
  printf '[s3-test-server %3d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*" >&2
}

# A free TCP port on 127.0.0.1 (the kernel picks it; there is a small window before the daemon binds it).
free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

new_uuid() {
  cat /proc/sys/kernel/random/uuid
}

# Waits up to $1 seconds for the command that follows to succeed.
wait_for() {
  local seconds=$1
  shift
  local deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then return 1; fi
    sleep 0.2
  done
}

fail() {
  echo "$0: $*" >&2
  echo "$0: logs are in $DIR/log" >&2
  stop_cluster "$DIR" keep
  exit 1
}

start_cluster() {
  DIR=$1
  require_packages
  if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    echo "$0: $DIR is not empty" >&2
    exit 2
  fi
  mkdir -p "$DIR"/{run,log,mon,osd,rgw}
  DIR=$(cd "$DIR" && pwd)
  local fsid mon_port rgw_port conf
  fsid=$(new_uuid)
  mon_port=$(free_port)
  rgw_port=$(free_port)
  conf=$DIR/ceph.conf
  # Every address is 127.0.0.1. msgr2 with "crc" modes: cephx is off, and the default "secure" mode for
  # monitor clients needs cephx (radosgw then fails with "get_initial_auth_request returned -13").
  cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms mon client mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
auth cluster required = none
auth service required = none
auth client required = none
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
mon data = $DIR/mon/\$name
osd data = $DIR/osd/\$name
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
# The monitor batches map changes for 1 s by default; the gateway's first start creates six pools one
# map change at a time, so the default makes the start take 13 s instead of 3 s.
paxos propose interval = 0.1
paxos min wait = 0.01

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw enable apis = s3
rgw data = $DIR/rgw
CONF
  step "config written in $DIR (monitor on 127.0.0.1:$mon_port, gateway on 127.0.0.1:$rgw_port)"

  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$DIR/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" \
    >>"$DIR/log/mkfs.out" 2>&1 || fail "ceph-mon --mkfs failed"
  # The daemons fork into the background; their stdio goes to files so that no caller's pipe is held.
  ceph-mon -c "$conf" -i a >>"$DIR/log/mon.out" 2>&1 </dev/null || fail "ceph-mon did not start"
  wait_for 30 ceph -c "$conf" --connect-timeout 5 mon stat || fail "the monitor did not answer"
  step "monitor up"

  local osd_uuid osd_id
  osd_uuid=$(new_uuid)
  osd_id=$(ceph -c "$conf" osd new "$osd_uuid")
  mkdir -p "$DIR/osd/osd.$osd_id"
  ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/mkfs.out" 2>&1 ||
    fail "ceph-osd --mkfs failed"
  ceph-osd -c "$conf" -i "$osd_id" >>"$DIR/log/osd.out" 2>&1 </dev/null || fail "ceph-osd did not start"
  wait_for 60 bash -c "ceph -c '$conf' osd stat -f json | grep -q '\"num_up_osds\":1'" ||
    fail "the OSD did not come up"
  step "OSD up (memstore)"

  radosgw -c "$conf" -n client.rgw >>"$DIR/log/rgw.out" 2>&1 </dev/null || fail "radosgw did not start"
  wait_for 90 curl -sf -o /dev/null "http://127.0.0.1:$rgw_port/" || fail "the gateway did not answer"
  step "gateway answers"

  radosgw-admin -c "$conf" -n client.admin user create --uid=signet-test --display-name="signet test" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >>"$DIR/log/user.out" 2>&1 ||
    fail "radosgw-admin user create failed"
  step "S3 user created"

  cat >"$DIR/env.json" <<JSON
{
  "implementation": "Ceph RADOS Gateway $(radosgw --version | awk '{print $3}')",
  "endpoint": "http://127.0.0.1:$rgw_port",
  "region": "$REGION",
  "accessKeyId": "$ACCESS_KEY",
  "secretAccessKey": "$SECRET_KEY"
}
JSON
  cat "$DIR/env.json"
}

# Stops the daemons by the pid files in DIR/run (never by name: other clusters may be running), then
# removes DIR unless asked to keep it for its logs. SIGKILL at once: the cluster's data is thrown away.
stop_cluster() {
  local dir=$1 keep=${2:-}
  local pids=()
  for pidfile in "$dir"/run/*.pid; do
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    # Only a process started with this folder's config: a stale pid file must not name another process.
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/ceph.conf" && kill -9 "$pid" 2>/dev/null; then
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    # Until it is gone, or a zombie whose new parent may never reap it.
    for _ in $(seq 1 50); do
      if [ ! -d "/proc/$pid" ] || grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then break; fi
      sleep 0.1
    done
  done
  if [ -z "$keep" ]; then rm -rf "$dir"; fi
}

case "${1:-}" in
  install) install_packages ;;
  start)
    [ $# -eq 2 ] || usage
    start_cluster "$2"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    stop_cluster "$2"
    ;;
  *) usage ;;
esac
