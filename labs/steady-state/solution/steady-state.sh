#!/bin/sh
# Steady-state probe: exit 0 while the storefront reports itself healthy, non-zero otherwise.
# -f: fail on an HTTP error status (503 while Redis is down); --max-time: never hang.
curl -fsS --max-time 2 -o /dev/null http://storefront:8080/health
