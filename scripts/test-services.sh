#!/usr/bin/env bash
# Installs (from Debian, when missing) and starts the services the test suite needs: MariaDB with a
# dedicated test user and database, and Redis. `.ci/run` runs it; so does a developer, once per boot:
#
#   sudo bash scripts/test-services.sh
#   DB_TYPE=mysql DB_URL=mysql://zerokey_ci:zerokey-ci-password@127.0.0.1:3306/zerokey_test npm test
#
# It fails loudly (exit 1) when MariaDB or Redis cannot be reached afterwards: the MySQL run of the
# suite is never skipped for want of a server.
set -euo pipefail

MYSQL_USER="${ZEROKEY_TEST_MYSQL_USER:-zerokey_ci}"
MYSQL_PASSWORD="${ZEROKEY_TEST_MYSQL_PASSWORD:-zerokey-ci-password}"
MYSQL_DB="${ZEROKEY_TEST_MYSQL_DB:-zerokey_test}"

say() { printf 'test-services: %s\n' "$*"; }
fatal() { printf 'test-services: FATAL: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=false
install_missing() {
  local binary="$1" package="$2"
  if [ -x "$binary" ]; then return; fi
  command -v apt-get >/dev/null || fatal "$binary is missing and there is no apt-get to install $package"
  if ! $apt_updated; then as_root apt-get update -qq; apt_updated=true; fi
  say "installing $package"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  [ -x "$binary" ] || fatal "$package installed but $binary is not there"
}

wait_for() {
  local what="$1" seconds="$2"; shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  fatal "$what did not come up within ${seconds} s"
}

# ---- MariaDB ----
install_missing /usr/sbin/mariadbd mariadb-server
mysql_ping() { mysqladmin --protocol=tcp -h127.0.0.1 -uroot ping || mysqladmin -uroot ping; }
if ! mysql_ping >/dev/null 2>&1; then
  say "starting MariaDB"
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  if [ ! -d /var/lib/mysql/mysql ]; then as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null; fi
  as_root start-stop-daemon --start --oknodo --background --chuid mysql --exec /usr/sbin/mariadbd -- --user=mysql
fi
wait_for "MariaDB on 127.0.0.1:3306" 60 mysql_ping

mysql_root() { as_root mysql --protocol=socket -uroot "$@" 2>/dev/null || as_root mysql --protocol=tcp -h127.0.0.1 -uroot "$@"; }
mysql_root <<SQL
CREATE DATABASE IF NOT EXISTS \`${MYSQL_DB}\`;
CREATE USER IF NOT EXISTS '${MYSQL_USER}'@'127.0.0.1' IDENTIFIED BY '${MYSQL_PASSWORD}';
CREATE USER IF NOT EXISTS '${MYSQL_USER}'@'localhost' IDENTIFIED BY '${MYSQL_PASSWORD}';
ALTER USER '${MYSQL_USER}'@'127.0.0.1' IDENTIFIED BY '${MYSQL_PASSWORD}';
ALTER USER '${MYSQL_USER}'@'localhost' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL PRIVILEGES ON \`zerokey\_test%\`.* TO '${MYSQL_USER}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`zerokey\_test%\`.* TO '${MYSQL_USER}'@'localhost';
FLUSH PRIVILEGES;
SQL
mysql --protocol=tcp -h127.0.0.1 -u"${MYSQL_USER}" -p"${MYSQL_PASSWORD}" -N -e "SELECT VERSION()" "${MYSQL_DB}" \
  || fatal "cannot log in to MariaDB over TCP as ${MYSQL_USER}"

# ---- Redis ----
install_missing /usr/bin/redis-server redis-server
redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
if ! redis_ping; then
  say "starting Redis"
  as_root redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no >/dev/null
fi
wait_for "Redis on 127.0.0.1:6379" 30 redis_ping
say "Redis $(redis-cli -h 127.0.0.1 info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p') on 127.0.0.1:6379"
