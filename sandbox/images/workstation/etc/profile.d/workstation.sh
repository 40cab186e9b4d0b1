# Login defaults for the sandbox workstation (sourced by /etc/profile).
export EDITOR=vim
export VISUAL=vim
export PAGER=less
# -R: show colors; -F: don't page output that fits on one screen; -X: leave it on the screen.
export LESS=-RFX
# Debian leaves the sbin directories off a normal user's PATH; tools such as tc and sysctl
# (read-only use needs no privileges) live there.
case ":$PATH:" in
*:/usr/sbin:*) ;;
*) PATH="$PATH:/usr/sbin" ;;
esac
