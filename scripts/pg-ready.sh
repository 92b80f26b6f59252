#!/bin/sh
# Exit 0 when the PostgreSQL server of the given URL accepts connections.
command -v pg_isready >/dev/null 2>&1 || exit 1
url="$1"
hostport=$(echo "$url" | sed -E 's#^[a-z]+://([^@]*@)?([^/]*)/.*#\2#')
host=${hostport%%:*}
port=${hostport##*:}
[ "$port" = "$hostport" ] && port=5432
pg_isready -q -h "$host" -p "$port"
