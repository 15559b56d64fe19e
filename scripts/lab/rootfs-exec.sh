#!/usr/bin/env bash
# Runs a command from an unpacked image root filesystem the way a container runtime would, for the lab: its own
# mount namespace, the root read-only, fresh /proc, /sys (of the current network namespace), a minimal /dev, a tmpfs
# /tmp, host directories bound read-only (as volumes), then the image's user with only the capabilities named, no
# new privileges, and exactly the environment given. Run as root (inside `ip netns exec` for a lab node).
# Usage: rootfs-exec.sh --rootfs DIR --user UID:GID [--caps net_raw,net_admin] [--fs-group GID] [--bind DIR]...
#                       [--env K=V]... -- ARGV...
# --fs-group makes the bound directories readable by that group first, as Kubernetes' fsGroup does for a Pod's
# volumes (the lab's keys and passwords are written 0600 by root).
# A --bind directory must exist in the image or lie under /tmp (the image's /tmp is a tmpfs the mount point is made in).
set -euo pipefail

die() { printf 'rootfs-exec: %s\n' "$*" >&2; exit 125; }

rootfs="" user="" caps="" fs_group="" binds=() envs=()
while (($# > 0)); do
  case "$1" in
    --rootfs) rootfs="$2"; shift 2 ;;
    --user) user="$2"; shift 2 ;;
    --caps) caps="$2"; shift 2 ;;
    --fs-group) fs_group="$2"; shift 2 ;;
    --bind) binds+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) die "unknown argument $1" ;;
  esac
done
(($# > 0)) || die "no command after --"
[ -x "$rootfs/usr/bin/setpriv" ] || die "$rootfs is not an image root filesystem with setpriv (util-linux)"
[[ "$user" =~ ^[0-9]+:[0-9]+$ ]] || die "--user must be UID:GID, got '$user'"

# Again in a mount namespace of its own, so the mounts below vanish with the process.
if [ -z "${ROOTFS_EXEC_UNSHARED:-}" ]; then
  again=(--rootfs "$rootfs" --user "$user" --caps "$caps" --fs-group "$fs_group")
  for dir in "${binds[@]}"; do again+=(--bind "$dir"); done
  for kv in "${envs[@]}"; do again+=(--env "$kv"); done
  ROOTFS_EXEC_UNSHARED=1 exec unshare --mount --propagation private -- "$0" "${again[@]}" -- "$@"
fi

mount --bind "$rootfs" "$rootfs"
mount -o remount,bind,ro "$rootfs"
mount -t proc -o nosuid,nodev,noexec proc "$rootfs/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$rootfs/sys"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$rootfs/tmp"
mount -t tmpfs -o nosuid,noexec,mode=0755 tmpfs "$rootfs/dev"
for dev in null zero full random urandom tty; do
  touch "$rootfs/dev/$dev"
  mount --bind "/dev/$dev" "$rootfs/dev/$dev"
done
for dir in "${binds[@]}"; do
  if [ -n "$fs_group" ]; then chgrp -R "$fs_group" "$dir" && chmod -R g+rX "$dir"; fi
  mkdir -p "$rootfs$dir"
  mount --bind "$dir" "$rootfs$dir"
  mount -o remount,bind,ro "$rootfs$dir"
done

cap_set="-all"
IFS=',' read -ra wanted <<<"$caps"
for c in "${wanted[@]}"; do [ -n "$c" ] && cap_set+=",+$c"; done
# As Kubernetes runtimes do: the capabilities bound what uid 0 gets across exec. Another uid keeps them only as
# ambient capabilities, which Kubernetes cannot grant (kubernetes#56374), hence the speaker's runAsUser: 0.
if [ "${user%%:*}" = 0 ]; then
  keep=(--inh-caps=-all)
else
  keep=(--inh-caps="$cap_set" --ambient-caps="$cap_set")
fi
exec /usr/bin/env -i "${envs[@]}" /usr/sbin/chroot "$rootfs" /usr/bin/setpriv --reuid="${user%%:*}" --regid="${user##*:}" \
  --clear-groups "${keep[@]}" --bounding-set="$cap_set" --no-new-privs -- "$@"
