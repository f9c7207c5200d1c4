#!/usr/bin/env bash
# Starts a throwaway MariaDB on 127.0.0.1:3307 configured as production runs it (binary log on,
# sync_binlog=1, innodb_flush_log_at_trx_commit=1) on a disk whose flushes take SLOW_FSYNC_US
# microseconds (default 2000). With the binary log on, InnoDB holds a transaction's row locks
# through both flushes of its commit, so this is the setting where one hot SKU's row lock caps
# orders/s, and where 'atrium bench flash-sale' shows what the hot mode is for:
#
#   SLOW_FSYNC_US=3000 cmd/atrium/testdata/slowdisk/run.sh
#   atrium serve --demo --db-dsn 'root@tcp(127.0.0.1:3307)/atrium'
#   atrium bench flash-sale --duration 10s --rounds 2
#
# Stop it with: mysqladmin -uroot -h127.0.0.1 -P3307 shutdown
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${SLOWDISK_DIR:-/tmp/atrium-slowdisk}
mkdir -p "$dir"
gcc -shared -fPIC -O2 -o "$dir/slowsync.so" "$here/slowsync.c" -ldl
if [ ! -d "$dir/data/mysql" ]; then
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" --auth-root-authentication-method=normal >/dev/null
fi
LD_PRELOAD="$dir/slowsync.so" SLOW_FSYNC_US="${SLOW_FSYNC_US:-2000}" nohup mariadbd --no-defaults \
  --datadir="$dir/data" --port=3307 --bind-address=127.0.0.1 --socket="$dir/sock" --user="$(id -un)" \
  --innodb-flush-log-at-trx-commit=1 --log-bin="$dir/data/binlog" --sync-binlog=1 --server-id=1 \
  --binlog-format=ROW --max-connections=1000 >"$dir/mariadb.log" 2>&1 &
for _ in $(seq 60); do
  if mysql -uroot -h127.0.0.1 -P3307 -e "CREATE DATABASE IF NOT EXISTS atrium" 2>/dev/null; then
    echo "MariaDB with ${SLOW_FSYNC_US:-2000}us flushes on 127.0.0.1:3307 (database atrium); log: $dir/mariadb.log"
    exit 0
  fi
  sleep 0.5
done
echo "MariaDB did not start; see $dir/mariadb.log" >&2
exit 1
