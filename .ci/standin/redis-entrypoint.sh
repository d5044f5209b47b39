#!/bin/sh
# As the official image does: no protected mode (the network is the container's own).
if [ "$1" = redis-server ]; then
  shift
  exec redis-server --protected-mode no --bind 0.0.0.0 "$@"
fi
exec "$@"
