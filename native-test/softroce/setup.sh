#!/usr/bin/env bash
# Prepare everything the Soft-RoCE VM needs: host packages, a Debian 6.1 kernel
# (has rdma_rxe.ko + 9p; the -cloud- flavour has neither) and a tiny busybox initramfs.
#
# Idempotent and cheap when the cache is complete: the initramfs is rebuilt only when
# its inputs (stage-1 init, module list, kernel version, busybox) change.
#
#   setup.sh [--quiet] [--refresh]
#     --quiet    print nothing on success
#     --refresh  re-pick the newest linux-image-6.1.0-*-amd64 and rebuild everything
#
# Cache: ${JVERBS_SOFTROCE_CACHE:-$HOME/.cache/jverbs/softroce}
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cache=${JVERBS_SOFTROCE_CACHE:-${HOME:-/root}/.cache/jverbs/softroce}
quiet=0 refresh=0
for a in "$@"; do
    case $a in
        --quiet) quiet=1 ;;
        --refresh) refresh=1 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
    esac
done
say() { [[ $quiet == 1 ]] || echo "softroce-setup: $*" >&2; }
die() { echo "softroce-setup: ERROR: $*" >&2; exit 1; }

# Run as root, or through non-interactive sudo when that is available.
asroot() {
    if [[ $(id -u) == 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else die "need root to run: $* (run native-test/softroce/setup.sh as root once)"; fi
}
apt_opts=(-y -q -o DPkg::Lock::Timeout=300)

# Modules the initramfs loads itself (everything else is loaded later by the host's
# modprobe against the extracted kernel tree). Order is resolved with modprobe --show-depends.
INITRD_MODULES=(virtio_pci 9pnet_virtio 9p overlay virtio_console)

# ---- 1. host packages (only if missing) -------------------------------------------
pkgs=(qemu-system-x86 busybox-static kmod cpio rdma-core ibverbs-providers ibverbs-utils
      rdmacm-utils perftest iproute2)
missing=()
for p in "${pkgs[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ $st == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    asroot env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >&2
    asroot env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}" >&2
fi

mkdir -p "$cache"
# Two Maven modules may start the VM at the same time: serialise cache building.
exec 9>"$cache/.lock"
flock 9

# ---- 2. kernel ----------------------------------------------------------------------
pick_kernel() {
    # Newest generic 6.1 flavour: excludes -cloud-, -rt-, -dbg, -unsigned by construction.
    apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
        awk '{print $1}' | sort -V | tail -n1
}
if [[ $refresh == 1 ]]; then rm -rf "$cache/kernel" "$cache/kver" "$cache/stamp" "$cache/vmlinux"; fi
if [[ ! -s $cache/kver || ! -f $cache/kernel/boot/vmlinuz-$(cat "$cache/kver" 2>/dev/null) ]]; then
    pkg=$(pick_kernel)
    if [[ -z $pkg ]]; then
        asroot apt-get "${apt_opts[@]}" update >&2
        pkg=$(pick_kernel)
    fi
    [[ -n $pkg ]] || die "no linux-image-6.1.0-*-amd64 package found in the apt sources"
    kver=${pkg#linux-image-}
    say "downloading $pkg"
    dl=$(mktemp -d "$cache/dl.XXXXXX")
    # APT::Sandbox::User=root: the cache dir is usually not readable by _apt.
    (cd "$dl" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) || { rm -rf "$dl"; die "apt-get download $pkg failed"; }
    rm -rf "$cache/kernel.new"
    dpkg -x "$dl"/*.deb "$cache/kernel.new"
    rm -rf "$dl"
    # modules.dep is made by the package's postinst, which we never run.
    depmod -b "$cache/kernel.new" "$kver"
    [[ -f $cache/kernel.new/lib/modules/$kver/kernel/drivers/infiniband/sw/rxe/rdma_rxe.ko ]] ||
        die "$pkg has no rdma_rxe.ko"
    rm -rf "$cache/kernel"
    mv "$cache/kernel.new" "$cache/kernel"
    rm -f "$cache/vmlinux"
    echo "$kver" >"$cache/kver"
    rm -f "$cache/stamp"
fi
kver=$(cat "$cache/kver")
kroot=$cache/kernel
[[ -f $kroot/lib/modules/$kver/modules.dep ]] || depmod -b "$kroot" "$kver"

# Uncompressed ELF vmlinux: qemu boots it through the PVH entry point, which skips the
# real-mode setup and the in-guest xz decompression (~5 s under TCG).
if [[ ! -s $cache/vmlinux ]]; then
    bz=$kroot/boot/vmlinuz-$kver
    off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$bz" | head -n1 | cut -d: -f1)
    # (tail dies of SIGPIPE once xz has the one stream it wants: only xz's status counts)
    if [[ -n $off ]] && { tail -c +$((off + 1)) "$bz" || :; } | xz -dc --single-stream >"$cache/vmlinux.new" 2>/dev/null &&
       [[ $(head -c4 "$cache/vmlinux.new" | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
        mv "$cache/vmlinux.new" "$cache/vmlinux"
    else
        rm -f "$cache/vmlinux.new"
        say "could not extract vmlinux (booting the slower bzImage instead)"
    fi
fi

# ---- 3. initramfs -------------------------------------------------------------------
stamp=$( { echo "$kver"; echo "${INITRD_MODULES[*]}"; cat "$here/init"; sha256sum /bin/busybox; } | sha256sum | cut -c1-32)
if [[ -f $cache/initramfs.cpio.gz && -f $cache/stamp && $(cat "$cache/stamp") == "$stamp" ]]; then
    say "cache up to date in $cache (kernel $kver)"
    exit 0
fi
say "building initramfs for $kver"
work=$(mktemp -d "$cache/initrd.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,lower,upper,newroot,job,modules}
cp /bin/busybox "$work/bin/busybox"
# Applet symlinks so the init script can use plain names.
for app in $("$work/bin/busybox" --list); do
    [[ -e $work/bin/$app ]] || ln -s busybox "$work/bin/$app"
done
install -m 0755 "$here/init" "$work/init"
# Dependency order, each module once (modprobe repeats shared dependencies).
: >"$work/modules/order"
modprobe -d "$kroot" -S "$kver" --show-depends -a "${INITRD_MODULES[@]}" |
    awk '$1 == "insmod" && !seen[$2]++ {print $2}' |
    while read -r ko; do
        cp "$ko" "$work/modules/"
        basename "$ko" >>"$work/modules/order"
    done
[[ -s $work/modules/order ]] || die "could not resolve initramfs modules"
(cd "$work" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$cache/initramfs.cpio.gz.new"
mv "$cache/initramfs.cpio.gz.new" "$cache/initramfs.cpio.gz"
echo "$stamp" >"$cache/stamp"
say "cache ready in $cache (kernel $kver)"
