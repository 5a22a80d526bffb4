#!/usr/bin/env bash
# Check the .deb for real: install it with dpkg on this machine, check what
# it put in place, and remove it again (also on failure). A clean debootstrap
# root would need the whole WebKitGTK runtime installed into it first; the
# issue allows the machine itself when the package is removed afterwards.
# Usage: packaging/test-deb.sh path/to/latchkey_*.deb   (as root)
set -euo pipefail
deb="${1:?usage: test-deb.sh PACKAGE.deb}"
if [ "$(id -u)" != 0 ]; then
  echo "test-deb: dpkg -i needs root; run as root (CI does)" >&2
  exit 2
fi
name="$(dpkg-deb -f "$deb" Package)"
if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
  echo "test-deb: $name is already installed here; not touching it" >&2
  exit 3
fi
had_group=no
if getent group latchkey >/dev/null 2>&1; then had_group=yes; fi
# Leave the machine as it was: the package, and the group its postinst makes.
cleanup() {
  dpkg -r "$name" >/dev/null 2>&1 || true
  if [ "$had_group" = no ]; then groupdel latchkey >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }

echo "== contents of $(basename "$deb")"
dpkg-deb -c "$deb" | awk '{print $6}' | grep -E 'usr/bin/|systemd|applications|icons/hicolor/128' | sort

dpkg -i "$deb" >/dev/null || fail "dpkg -i"
latchkey --version | grep -q '^latchkey ' || fail "latchkey --version"
latchkey-rendezvous --help >/dev/null || fail "latchkey-rendezvous --help"
[ -x /usr/bin/latchkey-app ] || fail "no /usr/bin/latchkey-app"
for unit in /lib/systemd/system/latchkey.service /lib/systemd/system/latchkey-rendezvous.service \
            /usr/lib/systemd/user/latchkey.service; do
  [ -f "$unit" ] || fail "missing $unit"
done
grep -q '^ExecStart=/usr/bin/latchkey ' /lib/systemd/system/latchkey.service || fail "the unit does not run /usr/bin/latchkey"
systemd-analyze verify /lib/systemd/system/latchkey.service /lib/systemd/system/latchkey-rendezvous.service \
  || fail "systemd-analyze verify on the installed system units"
getent group latchkey >/dev/null || fail "postinst did not create the latchkey group"

desktop="$(xdg-mime query default x-scheme-handler/latchkey)"
[ -n "$desktop" ] || fail "no handler for x-scheme-handler/latchkey"
file="/usr/share/applications/$desktop"
[ -f "$file" ] || fail "$desktop is not in /usr/share/applications"
grep -q '^MimeType=.*x-scheme-handler/latchkey' "$file" || fail "$desktop does not declare the latchkey scheme"
grep -q '^Exec=.*latchkey-app %u' "$file" || fail "$desktop does not start latchkey-app with the link (%u)"
echo "latchkey:// is handled by $desktop: $(grep '^Exec=' "$file")"

dpkg -r "$name" >/dev/null || fail "dpkg -r"
[ ! -e /usr/bin/latchkey ] || fail "/usr/bin/latchkey is still there after dpkg -r"
cleanup
trap - EXIT
echo "test-deb: ok ($name installed, checked and removed)"
