#!/bin/sh
# WRONG on purpose (for tests): without -f curl exits 0 on a 503, and without --max-time it
# would wait as long as the storefront does.
curl -s -o /dev/null http://storefront:8080/health
