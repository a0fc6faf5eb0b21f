# The health probe, defined once per connection as the shell function `__fp` inside one long-lived
# remote shell; each tick the poller writes `__fp SEQ MODE [PRINT]` and reads up to `@@end SEQ`.
# PRINT=1 (on a slow tick, every few minutes) adds the host's fingerprint: what a known-good state holds.
# Every read of /proc and /sys uses the shell's own `read`, so the fast path forks nothing under bash
# (its EPOCHREALTIME keeps the clock readings fork-free too); only MODE `slow` (df, timedatectl, systemctl, docker) and `kube` (k3s kubectl) fork.
# Pi-only signals (thermal zone, vcgencmd) are optional: an absent one leaves its section empty.
exec 2>/dev/null
__np=$(getconf _NPROCESSORS_ONLN || nproc)
__vc=$(command -v vcgencmd)
__sudo=""
[ -n "${__backups:-}" ] && [ "$(id -u)" != 0 ] && sudo -n true && __sudo="sudo -n"
__fp() {
  echo "@@t0 ${EPOCHREALTIME:-$(date +%s.%N)}"
  echo "@@uptime"; read -r __u __x < /proc/uptime && echo "$__u"
  echo "@@loadavg"; read -r __l < /proc/loadavg && echo "$__l"
  echo "@@nproc"; echo "$__np"
  echo "@@meminfo"
  # MemTotal and MemAvailable are lines 1 and 3 (Linux >= 3.14); bash's read goes byte by byte,
  # so reading the whole file would cost more than the rest of the probe.
  { read -r __k __v __x; echo "$__k $__v"; read -r __x; read -r __k __v __x; echo "$__k $__v"; } < /proc/meminfo
  echo "@@temp"
  if [ -r /sys/class/thermal/thermal_zone0/temp ]; then
    read -r __t < /sys/class/thermal/thermal_zone0/temp && echo "zone $__t"
  elif [ -n "$__vc" ]; then
    echo "vcgencmd $(vcgencmd measure_temp)"
  fi
  echo "@@throttled"; [ -n "$__vc" ] && vcgencmd get_throttled
  if [ "$2" = slow ] || [ "$2" = kube ]; then
    echo "@@df"
    __d=/
    for __p in /var/lib/longhorn /mnt/backups; do [ -d "$__p" ] && __d="$__d $__p"; done
    for __p in $__d; do echo "path $__p"; done
    df -P -k $__d
    # Only where systemd runs (its own test, as sd_booted() does): elsewhere both fail, slowly.
    # A container (a rehearsal host) keeps the clock of the machine that hosts it: no NTP client of its own.
    echo "@@ntp"; [ -d /run/systemd/system ] && { systemd-detect-virt -q --container && echo container \
      || timedatectl show -p NTPSynchronized --value; }
    echo "@@services"; [ -d /run/systemd/system ] && systemctl show -p Id,LoadState,ActiveState,SubState k3s k3s-agent
    if [ "${__docker:-0}" = 1 ]; then
      echo "@@docker"
      # The engine's API through curl costs a Pi a few ms; the docker CLI alone costs ~100 ms of CPU.
      if [ ! -S /var/run/docker.sock ]; then
        echo "rc 1"; echo "docker engine not running (no /var/run/docker.sock)"
      elif [ -w /var/run/docker.sock ] && command -v curl >/dev/null; then
        __o=$(curl -sS --max-time 5 --unix-socket /var/run/docker.sock \
          'http://localhost/containers/json?all=1' 2>&1); echo "rc $?"; echo "$__o"
      elif command -v docker >/dev/null; then
        __o=$(docker ps -a --format '{{.Names}}|{{.State}}|{{.Image}}|{{.Status}}' 2>&1); echo "rc $?"; echo "$__o"
      else
        echo "rc 127"; echo "docker: command not found"
      fi
    fi
  fi
  if [ -n "${__backups:-}" ] && { [ "$2" = slow ] || [ "$2" = kube ]; }; then
    # The dumps 05_backup's scripts write (as root, umask 077: sudo where it needs no password).
    # Longhorn's block store is pruned: thousands of files, none of them a backup's record.
    echo "@@backups"; echo "root $__backups"
    __d=""
    for __p in postgres gitea longhorn; do [ -d "$__backups/$__p" ] && __d="$__d $__backups/$__p"; done
    if [ -n "$__d" ]; then
      $__sudo find $__d -name blocks -prune -o -type f \
        \( -name '*.dump' -o -name 'gitea-*.tar.gz' -o -name 'backup_*.cfg' \) -printf '%T@ %s %p\n'
      echo "rc $?"
    fi
    if [ -n "${__offsite:-}" ]; then
      # The off-site copy's status file (key=value lines), beside the dumps it copies.
      echo "@@offsite"; echo "file $__offsite"
      if $__sudo test -e "$__offsite"; then $__sudo cat "$__offsite"; echo "rc $?"; else echo "absent"; fi
    fi
  fi
  if [ "$3" = 1 ]; then
    echo "@@kernel"; uname -r
    echo "@@osrel"; [ -r /etc/os-release ] && (. /etc/os-release && echo "${PRETTY_NAME:-$NAME $VERSION_ID}")
    echo "@@k3sver"; command -v k3s >/dev/null && k3s --version | { read -r __l; echo "$__l"; }
    echo "@@failed"; [ -d /run/systemd/system ] && echo systemd && systemctl list-units --failed --plain --no-legend --no-pager
    echo "@@mounts"; cat /proc/mounts
    echo "@@dfall"; df -P -k -x tmpfs -x devtmpfs -x overlay -x squashfs
    echo "@@portrange"; read -r __a __b __x < /proc/sys/net/ipv4/ip_local_port_range && echo "$__a $__b"
    echo "@@listen"; awk '$4 == "0A"' /proc/net/tcp /proc/net/tcp6  # listening sockets only
    echo "@@pkgs"
    if command -v dpkg-query >/dev/null; then
      __o=$(dpkg-query -W -f '${Package}=${Version}\n' | sort)
      printf '%s\n' "$__o" | wc -l; printf '%s\n' "$__o" | cksum
    fi
  fi
  if [ "$2" = kube ] && [ "${__kube:-0}" = 1 ]; then
    echo "@@nodes"
    if command -v k3s >/dev/null; then
      __o=$(k3s kubectl get nodes -o json 2>&1 || sudo -n k3s kubectl get nodes -o json 2>&1)
      echo "rc $?"; echo "$__o"
    else
      echo "rc 127"; echo "k3s: command not found"
    fi
  fi
  echo "@@times"; times
  echo "@@t1 ${EPOCHREALTIME:-$(date +%s.%N)}"
  echo "@@end $1"
}
