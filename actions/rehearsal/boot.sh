#!/bin/sh
# Boots one rehearsal host. It runs as PID 1 of fresh pid, mount, net, uts, ipc and cgroup namespaces
# (started by actions/rehearsal/host.py through `unshare`), assembles the host's root filesystem and
# hands over to systemd. Everything mounted here lives in this mount namespace only: when the namespace's
# last process ends, the kernel drops the mounts; nothing is mounted on the machine that hosts it.
#
#   boot.sh ROOT LOWER UPPER WORK HOSTNAME ADDRESS/PREFIX GATEWAY
set -eu
ROOT=$1 LOWER=$2 UPPER=$3 WORK=$4 NAME=$5 ADDR=$6 GW=$7

mount --make-rprivate /
# Copy-on-write over the shared base image: this host's changes land in UPPER only.
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$UPPER,workdir=$WORK" "$ROOT"

mount -t proc proc "$ROOT/proc"
# Kernel-wide settings stay out of reach: /proc/sys and sysrq read-only, /sys read-only. The network
# settings under /proc/sys/net belong to this host's own network namespace, so they stay writable.
mount --bind "$ROOT/proc/sys" "$ROOT/proc/sys"
mount -o remount,bind,ro "$ROOT/proc/sys"
mount --bind "$ROOT/proc/sys/net" "$ROOT/proc/sys/net"
if [ -e "$ROOT/proc/sysrq-trigger" ]; then mount --bind /dev/null "$ROOT/proc/sysrq-trigger"; fi
mount -t sysfs -o ro sysfs "$ROOT/sys"

# cgroups: this host's own subtree (the cgroup namespace makes it look like the root to systemd).
mount -t tmpfs -o mode=755 cgroup "$ROOT/sys/fs/cgroup"
for c in cpu cpuacct blkio memory devices freezer pids cpuset; do
  mkdir -p "$ROOT/sys/fs/cgroup/$c"
  mount -t cgroup -o "$c" cgroup "$ROOT/sys/fs/cgroup/$c"
done
mkdir -p "$ROOT/sys/fs/cgroup/systemd"
mount -t cgroup -o none,name=systemd cgroup "$ROOT/sys/fs/cgroup/systemd"

mount -t tmpfs -o mode=755,size=256m tmpfs "$ROOT/run"
mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"

# A minimal /dev of character devices only: no block device of the machine is reachable, so no role
# can format or mount one of its disks.
mount -t tmpfs -o mode=755,size=8m dev "$ROOT/dev"
for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  node=${spec%%:*}; rest=${spec#*:}
  mknod -m 666 "$ROOT/dev/$node" c "${rest%%:*}" "${rest#*:}"
done
mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$ROOT/dev/pts"
ln -s pts/ptmx "$ROOT/dev/ptmx"
mount -t tmpfs -o mode=1777 shm "$ROOT/dev/shm"
ln -s /proc/self/fd "$ROOT/dev/fd"
ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
ln -s /proc/self/fd/2 "$ROOT/dev/stderr"

hostname "$NAME"

# The parent moves this host's end of a veth pair in as soon as the namespace exists.
i=0
while ! ip link show eth0 >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 200 ]; then echo "boot: no network device arrived" >&2; exit 1; fi
  sleep 0.05
done
ip link set lo up
ip addr add "$ADDR" dev eth0
ip link set eth0 up
ip route add default via "$GW"

# systemd as PID 1, without the capabilities that reach past the host: kernel modules, the clock,
# raw I/O, device nodes, the kernel log, file handles of the machine's filesystems.
exec env -i container=factory-rehearsal TERM=linux PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  setpriv --inh-caps=-all \
  --bounding-set=-sys_module,-sys_time,-sys_rawio,-mknod,-syslog,-wake_alarm,-sys_pacct,-mac_admin,-mac_override,-audit_control,-dac_read_search \
  /usr/sbin/chroot "$ROOT" /lib/systemd/systemd
