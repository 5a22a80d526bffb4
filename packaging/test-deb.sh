#!/usr/bin/env bash
# Check the .deb for real: make a clean Debian root with debootstrap (the
# release this machine runs, from the mirror its apt already uses), install
# the package into it with apt (which pulls in the dependencies it declares),
# check what it put in place from inside that root, and throw the root away.
# Usage: packaging/test-deb.sh path/to/Latchkey_*.deb   (as root)
set -euo pipefail
deb="${1:?usage: test-deb.sh PACKAGE.deb}"
if [ "$(id -u)" != 0 ]; then
  echo "test-deb: debootstrap and chroot need root; run as root (CI does)" >&2
  exit 2
fi
command -v debootstrap >/dev/null || { echo "test-deb: debootstrap is missing (scripts/setup.sh installs it)" >&2; exit 2; }

suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
mirror="$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *//p';
            cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
              sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p'; } | grep -v security | head -1 || true)"
[ -n "$suite" ] && [ -n "$mirror" ] || { echo "test-deb: cannot tell this machine's Debian release or mirror" >&2; exit 2; }

root="$(mktemp -d /tmp/latchkey-deb-root.XXXXXX)"
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
in_root() { chroot "$root" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# What a new user downloads: at most 30 MiB.
limit=$((30 * 1024 * 1024))
bytes="$(stat -c %s "$deb")"
echo "== size of $(basename "$deb"): $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB; limit 30 MiB)"
[ "$bytes" -le "$limit" ] || fail "the package is $bytes bytes, more than 30 MiB"

echo "== contents of $(basename "$deb")"
dpkg-deb -c "$deb" | awk '{print $6}' | grep -E 'usr/bin/|systemd/|applications/|icons/hicolor/128' | sort

echo "== a clean $suite root (debootstrap --variant=minbase)"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >/dev/null || fail "debootstrap"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/latchkey.deb"

echo "== apt install ./$(basename "$deb") (and the tools the checks use)"
in_root sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get -qq update && apt-get install -y -qq --no-install-recommends /tmp/latchkey.deb xdg-utils systemd' \
  >"$root/tmp/apt.log" 2>&1 || { tail -20 "$root/tmp/apt.log" >&2; fail "apt install of the package"; }

in_root latchkey --version | grep -q '^latchkey ' || fail "latchkey --version"
in_root latchkey-rendezvous --help >/dev/null || fail "latchkey-rendezvous --help"
[ -x "$root/usr/bin/latchkey-app" ] || fail "no /usr/bin/latchkey-app"
for unit in /lib/systemd/system/latchkey.service /lib/systemd/system/latchkey-rendezvous.service \
            /usr/lib/systemd/user/latchkey.service; do
  [ -f "$root$unit" ] || fail "missing $unit"
done
grep -q '^ExecStart=/usr/bin/latchkey ' "$root/lib/systemd/system/latchkey.service" || fail "the unit does not run /usr/bin/latchkey"
in_root systemd-analyze verify /lib/systemd/system/latchkey.service /lib/systemd/system/latchkey-rendezvous.service \
  || fail "systemd-analyze verify on the installed system units"
in_root getent group latchkey >/dev/null || fail "postinst did not create the latchkey group"
# postinst enables the system service (it waits quietly until set up).
wants="$root/etc/systemd/system/multi-user.target.wants/latchkey.service"
[ "$(readlink "$wants" 2>/dev/null)" = /lib/systemd/system/latchkey.service ] \
  || fail "postinst did not enable latchkey.service"
backend="$root/usr/lib/cups/backend/latchkey"
[ "$(stat -c '%a %U %G' "$backend" 2>/dev/null)" = "700 root root" ] \
  || fail "postinst did not install the CUPS backend as root's, mode 0700"

desktop="$(in_root xdg-mime query default x-scheme-handler/latchkey)"
[ -n "$desktop" ] || fail "no handler for x-scheme-handler/latchkey"
file="$root/usr/share/applications/$desktop"
[ -f "$file" ] || fail "$desktop is not in /usr/share/applications"
grep -q '^MimeType=.*x-scheme-handler/latchkey' "$file" || fail "$desktop does not declare the latchkey scheme"
grep -q '^Exec=.*latchkey-app %u' "$file" || fail "$desktop does not start latchkey-app with the link (%u)"
echo "latchkey:// is handled by $desktop: $(grep '^Exec=' "$file")"

in_root dpkg -r latchkey >/dev/null 2>&1 || fail "dpkg -r"
[ ! -e "$root/usr/bin/latchkey" ] || fail "/usr/bin/latchkey is still there after dpkg -r"
[ ! -e "$backend" ] || fail "the CUPS backend is still there after dpkg -r"
[ "$(readlink "$root/etc/systemd/system/latchkey.service" 2>/dev/null)" = /dev/null ] \
  || fail "postrm did not mask latchkey.service after dpkg -r (its enable link stays for a reinstall)"
echo "test-deb: ok (installed into a clean $suite root with its dependencies, checked, removed)"
