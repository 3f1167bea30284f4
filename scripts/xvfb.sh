# Sourced by the scripts that need a screen: starts Xvfb on a free display,
# exports DISPLAY, and stops it when the calling script exits (it sets the
# EXIT trap; callers add their own clean-up with xvfb_on_exit).
display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
xvfb_cleanup=":"
xvfb_on_exit() { xvfb_cleanup="$xvfb_cleanup; $*"; }
trap 'eval "$xvfb_cleanup"; kill $xvfb_pid 2>/dev/null' EXIT
export DISPLAY=$display
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
