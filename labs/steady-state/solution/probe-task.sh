#!/bin/sh
# The "probe" task done: write the probe to ~/steady-state.sh and make it executable.
# -f makes curl fail on an HTTP error (the storefront answers 503 while Redis is away);
# --max-time 2 makes it give up instead of hanging when nothing answers.
cat > "$HOME/steady-state.sh" <<'PROBE'
#!/bin/sh
curl -fsS --max-time 2 -o /dev/null http://storefront:8080/health
PROBE
chmod +x "$HOME/steady-state.sh"
