#!/bin/sh
# WRONG on purpose (for tests): reports success whatever the system's state.
curl -s http://storefront:8080/health
exit 0
