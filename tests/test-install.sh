#!/bin/bash
# test-install.sh
#
# Copyright 2026 The Pulse Inspector authors
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs the build into a temporary DESTDIR, checks that every installed file a user or the
# desktop needs is there, then starts the INSTALLED app (not the one in the build tree) and
# checks that it finds its schema and resources and stays up.
#
# Usage: test-install.sh BUILD_ROOT PREFIX BINDIR DATADIR MANDIR LOCALEDIR APP_ID GUI LISTEN EVENTS
# (meson passes these; GUI/LISTEN/EVENTS are "true" or "false"). Exit 77 = skipped.

set -u

build_root=$1 prefix=$2 bindir=$3 datadir=$4 mandir=$5 localedir=$6 app_id=$7
build_gui=$8 build_listen=$9 build_events=${10}
source_root=${PI_SOURCE_ROOT:-$(dirname "$0")/..}

tap_n=0
failed=0
ok () { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
not_ok () { tap_n=$((tap_n + 1)); failed=1; echo "not ok $tap_n - $1"; }
check_file () {
  if [ -s "$destdir$1" ]; then ok "installed $1"; else not_ok "installed $1 (missing or empty)"; fi
}

# Relative install dirs are relative to the prefix, as in meson.
abs () { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
bindir=$(abs "$bindir") datadir=$(abs "$datadir") mandir=$(abs "$mandir") localedir=$(abs "$localedir")

destdir=$(mktemp -d "${TMPDIR:-/tmp}/pi-install.XXXXXX")
app_pid=
bus_pid=
cleanup () {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null; fi
  if [ -n "$bus_pid" ]; then kill "$bus_pid" 2>/dev/null; fi
  rm -rf "$destdir"
}
trap cleanup EXIT

# --- install ----------------------------------------------------------------------
if ! meson install -C "$build_root" --no-rebuild --quiet --destdir "$destdir" > "$destdir.log" 2>&1; then
  cat "$destdir.log" | sed 's/^/# /'
  rm -f "$destdir.log"
  echo "1..1"
  not_ok "meson install --destdir"
  exit 1
fi
rm -f "$destdir.log"
ok "meson install --destdir"

# --- files --------------------------------------------------------------------------
if [ "$build_gui" = true ]; then
  check_file "$bindir/pulse-inspector"
  check_file "$datadir/applications/$app_id.desktop"
  check_file "$datadir/metainfo/$app_id.metainfo.xml"
  check_file "$datadir/dbus-1/services/$app_id.service"
  check_file "$datadir/glib-2.0/schemas/io.github.pulseinspector.PulseInspector.gschema.xml"
  check_file "$datadir/icons/hicolor/scalable/apps/$app_id.svg"
  check_file "$datadir/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"

  # The installed desktop file and metainfo must be the translated ones, and the D-Bus service
  # must start the installed binary.
  if grep -q '^Name\[de\]=' "$destdir$datadir/applications/$app_id.desktop" 2>/dev/null; then
    ok "desktop file carries the German translation"
  else
    not_ok "desktop file carries the German translation"
  fi
  if grep -q "^Exec=$bindir/pulse-inspector " "$destdir$datadir/dbus-1/services/$app_id.service" 2>/dev/null; then
    ok "D-Bus service starts $bindir/pulse-inspector"
  else
    not_ok "D-Bus service starts $bindir/pulse-inspector"
  fi
fi
if [ "$build_listen" = true ]; then
  check_file "$bindir/pulse-listen"
  check_file "$mandir/man1/pulse-listen.1"
fi
if [ "$build_events" = true ]; then
  check_file "$bindir/pulse-events"
  check_file "$mandir/man1/pulse-events.1"
fi
for lang in $(grep -v '^#' "$source_root/po/LINGUAS"); do
  check_file "$localedir/$lang/LC_MESSAGES/pulse-inspector.mo"
done
# The installed catalogue is the one gettext finds for the domain, and it translates.
# glibc 2.41 ignores LANGUAGE under the C locale, and these machines have no other: compile
# a German one into the scratch directory, as test-window-de does.
if command -v gettext > /dev/null && command -v localedef > /dev/null; then
  # localedef exits 1 for mere warnings; what counts is the translation below.
  mkdir -p "$destdir/locales"
  localedef -i de_DE -f UTF-8 "$destdir/locales/de_DE.UTF-8" > /dev/null 2>&1 || true
  german=$(LOCPATH="$destdir/locales" LANGUAGE=de LC_ALL=de_DE.UTF-8 \
           TEXTDOMAINDIR="$destdir$localedir" \
           gettext -d pulse-inspector "Watch message bus traffic live")
  if [ "$german" = "Den Verkehr auf einem Nachrichtenbus live beobachten" ]; then
    ok "the installed German catalogue translates"
  else
    not_ok "the installed German catalogue translates (got: $german)"
  fi
fi

# --- the installed app ----------------------------------------------------------------
skip_app=
if [ "$build_gui" != true ]; then
  skip_app="the app is not built"
elif [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  skip_app="no display (run under xvfb-run)"
fi

if [ -n "$skip_app" ]; then
  echo "# installed app not started: $skip_app"
  echo "1..$tap_n"
  [ $failed = 0 ] && exit 77
  exit 1
fi

# meson skips glib-compile-schemas when installing into a DESTDIR; do what a package's
# post-install trigger would do.
schemas="$destdir$datadir/glib-2.0/schemas"
glib-compile-schemas --strict "$schemas" || not_ok "glib-compile-schemas on the installed schema"

log="$destdir/app-stderr.log"
# A private session bus: on a shared bus the app would only activate an instance that is
# already running (a UI test's, say) and exit at once. fatal-criticals makes a critical end it.
# GSETTINGS_BACKEND=memory: do not touch the user's dconf; the schema must still be found.
{ read -r bus_address; read -r bus_pid; } < <(dbus-daemon --session --fork --print-address=1 --print-pid=1)
if [ -z "${bus_pid:-}" ]; then
  not_ok "start a private session bus"
  echo "1..$tap_n"
  exit 1
fi
env -u GSETTINGS_SCHEMA_DIR \
  DBUS_SESSION_BUS_ADDRESS="$bus_address" \
  GSETTINGS_SCHEMA_DIR="$schemas" \
  GSETTINGS_BACKEND=memory \
  XDG_DATA_DIRS="$destdir$datadir:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}" \
  G_DEBUG=fatal-criticals \
  GSK_RENDERER=${GSK_RENDERER:-cairo} \
  NO_AT_BRIDGE=1 \
  LC_ALL=C.UTF-8 \
  "$destdir$bindir/pulse-inspector" 2> "$log" &
app_pid=$!

alive=true
for _ in $(seq 30); do
  sleep 0.1
  kill -0 "$app_pid" 2>/dev/null || { alive=false; break; }
done
if $alive; then
  sleep 2
  kill -0 "$app_pid" 2>/dev/null || alive=false
fi
if $alive; then
  ok "the installed app stays up for 3 s"
else
  wait "$app_pid"; status=$?
  app_pid=
  not_ok "the installed app stays up for 3 s (it exited with status $status)"
fi

if grep -qE 'CRITICAL|GLib-GIO-ERROR|Settings schema .* is not installed|Failed to load|resource .* does not exist' "$log"; then
  not_ok "no critical, schema or resource error on stderr"
else
  ok "no critical, schema or resource error on stderr"
fi
sed 's/^/# app: /' "$log"

echo "1..$tap_n"
exit $failed
