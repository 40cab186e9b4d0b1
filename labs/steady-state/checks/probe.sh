#!/bin/bash
# Check for the task "Write a steady-state probe" (lab "Steady state").
#
# The platform runs this inside the `workstation` container as uid 1000, as
# `bash -c "<this file>"` with cwd and HOME /home/learner, and kills it after 60 s.
# Exit 0 = pass. Everything printed on stdout is shown to the learner as the result,
# so it prints exactly one or two plain sentences and nothing else.
#
# It runs the learner's ~/steady-state.sh three times:
#   1. everything healthy                        -> the probe must exit 0
#   2. Redis paused for all clients              -> it must exit non-zero, within 5 s
#   3. Redis back, storefront healthy again      -> it must exit 0 again
#
# Redis 7.0 (Debian 12) queues EVERY command during `CLIENT PAUSE <ms> ALL`, CLIENT UNPAUSE
# included, so a pause cannot be cut short: it is sized to cover one probe run and always
# ends by itself, even if this script is killed. The storefront's PING then times out after
# REDIS_TIMEOUT_SECONDS (0.5 s) and /health answers 503.
set -u

# Absolute paths: nothing the learner can put on PATH changes what runs here.
CURL=/usr/bin/curl
REDIS_CLI=/usr/bin/redis-cli
TIMEOUT=/usr/bin/timeout
PROBE="${HOME:-/home/learner}/steady-state.sh"
HEALTH_URL=http://storefront:8080/health
REDIS_HOST=redis
# Covers confirming the fault (at most 2 s) plus the probe's 5 s (and 1 s to kill it).
PAUSE_MS=9000

say() { printf '%s\n' "$*"; }

healthy() { "$CURL" -fsS --max-time 2 -o /dev/null "$HEALTH_URL" >/dev/null 2>&1; }

# wait_healthy SECONDS: succeeds as soon as /health answers 200, fails after SECONDS.
wait_healthy() {
    local deadline=$((SECONDS + $1))
    until healthy; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

# run_probe SECONDS: run the learner's probe with no input and its output discarded.
# Returns its exit status; 124 (or 137 if it ignored SIGTERM) means it ran out of time.
# (The outer 2>/dev/null also hides bash's own "Killed" notice when -k had to be used.)
run_probe() {
    { "$TIMEOUT" -k 1 "$1" "$PROBE" </dev/null >/dev/null 2>&1; } 2>/dev/null
}

timed_out() { [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; }

# Say why the probe could not even run (exit 126/127); returns 1 for any other status.
cannot_run() {
    case "$1" in
    126)
        say "Your probe could not be executed (exit 126): check that the first line of ~/steady-state.sh is #!/bin/sh."
        ;;
    127)
        if grep -q $'\r' "$PROBE" 2>/dev/null; then
            say "Your probe could not run because ~/steady-state.sh has Windows line endings: remove them with sed -i 's/\r\$//' ~/steady-state.sh and check again."
        else
            say "Your probe exited 127 (command not found): a command in ~/steady-state.sh, or the interpreter on its first line, does not exist in this workstation."
        fi
        ;;
    *) return 1 ;;
    esac
}

# Best effort: on Redis 7.0 this waits in Redis's queue until the pause runs out, so it is
# bounded to 1 s; on a Redis that accepts it during a pause it ends the pause at once.
unpause() { "$TIMEOUT" 1 "$REDIS_CLI" -h "$REDIS_HOST" client unpause >/dev/null 2>&1; }

# --- a. the probe exists and is executable --------------------------------------------------
if [ ! -e "$PROBE" ]; then
    say "There is no ~/steady-state.sh yet: create it (for example with nano ~/steady-state.sh), then make it executable with chmod +x ~/steady-state.sh."
    exit 1
fi
if [ ! -f "$PROBE" ]; then
    say "~/steady-state.sh is not a regular file: it must be a script."
    exit 1
fi
if [ ! -x "$PROBE" ]; then
    case "$(stat -c %A "$PROBE" 2>/dev/null)" in
    ???x*)
        # Mode says executable, yet access(X_OK) fails: the home is mounted noexec.
        say "~/steady-state.sh is executable, but the lab's home directory does not allow running programs (it is mounted noexec); this is a problem with the lab, not with your probe."
        ;;
    *)
        say "~/steady-state.sh is not executable yet: run chmod +x ~/steady-state.sh and check again."
        ;;
    esac
    exit 1
fi

# The system must be healthy before anything is judged (a pause typed by hand may still run).
if ! wait_healthy 10; then
    say "The storefront is not healthy right now (http://storefront:8080/health does not answer 200), so your probe cannot be checked. Wait a little (a Redis pause has to run out by itself) and check again."
    exit 1
fi

# --- b. healthy system: the probe must pass -------------------------------------------------
run_probe 10
rc=$?
if timed_out "$rc"; then
    say "Your probe was still running after 10 seconds while the storefront was healthy; it should finish in a second or two (give curl a limit such as --max-time 2)."
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    cannot_run "$rc" ||
        say "Your probe reported a failure (exit $rc) while the storefront was healthy; it must exit 0 when http://storefront:8080/health answers 200."
    exit 1
fi

# --- c. Redis paused: the probe must fail, in time ------------------------------------------
# Whatever happens from here on, leave the system healthy again for the learner: end the pause
# (or let it run out) and wait for the storefront to recover before exiting.
paused_at=$SECONDS  # set again once the pause is in place
restore() {
    unpause
    wait_healthy $((PAUSE_MS / 1000 + 5 - (SECONDS - paused_at)))
}
trap restore EXIT
trap 'exit 1' INT TERM HUP
if ! "$TIMEOUT" 3 "$REDIS_CLI" -h "$REDIS_HOST" client pause "$PAUSE_MS" all 2>/dev/null | grep -qx OK; then
    say "The check could not pause Redis to test your probe; this is not your probe's fault, so check again in a moment."
    exit 1
fi
paused_at=$SECONDS
code=$("$CURL" -s --max-time 2 -o /dev/null -w '%{http_code}' "$HEALTH_URL" 2>/dev/null)
if [ "$code" = 200 ]; then
    say "Pausing Redis did not make the storefront unhealthy, so the check could not test your probe; check again in a moment."
    exit 1
fi

run_probe 5
rc=$?
if timed_out "$rc"; then
    say "While Redis was paused your probe was still running after 5 seconds, so it would hang instead of reporting the outage; give every command in it a time limit, for example curl --max-time 2."
    exit 1
fi
if [ "$rc" -eq 0 ]; then
    if [ "$code" = 000 ]; then said="did not answer"; else said="answered $code"; fi
    say "Your probe exited 0 while Redis was paused and /health $said, so it would miss this outage; make it fail on an HTTP error status, for example with curl -f (--fail)."
    exit 1
fi

# --- d. Redis back: the probe must pass again -----------------------------------------------
if ! restore; then
    say "The storefront did not become healthy again after the Redis pause ended, so the last step could not run; this is not your probe's fault, so check again in a moment."
    exit 1
fi
trap - EXIT
run_probe 10
rc=$?
if timed_out "$rc"; then
    say "After Redis came back your probe was still running after 10 seconds; it should finish in a second or two (give curl a limit such as --max-time 2)."
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    say "Your probe caught the outage, but it still reported a failure (exit $rc) after Redis was back and the storefront healthy again; it must pass again once the system recovers."
    exit 1
fi

# --- e. passed --------------------------------------------------------------------------------
say "Well done: your probe passes while the storefront is healthy, fails within 5 seconds when Redis stops answering, and passes again once it recovers. That is a steady-state probe you can run during every experiment."
exit 0
