#!/bin/sh
# Adds Proxydesk to the desktop's application menu for the current user:
# the .desktop entry and the icon, under $XDG_DATA_HOME (~/.local/share).
# Run it after installing Proxydesk so that `proxydesk-gui` is on PATH.
# --uninstall removes both again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry=$data/applications/io.github.proxydesk.Proxydesk.desktop
icon=$data/icons/hicolor/scalable/apps/proxydesk.svg

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$entry" "$icon" "$data/applications/proxydesk.desktop"  # and earlier versions' name
  echo "removed $entry and $icon"
  exit 0
fi
command -v proxydesk-gui >/dev/null 2>&1 ||
  echo "warning: proxydesk-gui is not on PATH; the menu entry will not start until it is" >&2
mkdir -p "$(dirname "$entry")" "$(dirname "$icon")"
cp "$here/io.github.proxydesk.Proxydesk.desktop" "$entry"
cp "$here/../../resources/icons/app.svg" "$icon"
chmod 0644 "$entry" "$icon"
# Menus pick the entry up by themselves; these only speed it up where present.
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "installed $entry and $icon"
