#!/usr/bin/env bash
# Install or update ISO Tracker on one Debian 12 server, as root, from this checkout:
#   ISO_HOST=iso.example.gov.vn bash deploy/install.sh
# Idempotent: run it again after `git pull` to update (code, packages, migrations, static files, units).
# It installs PostgreSQL, Redis and nginx locally; for several machines see README, "Growing past one machine".
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "Run as root (sudo)." >&2; exit 1; }
: "${ISO_HOST:?Set ISO_HOST to the host name of the site, e.g. ISO_HOST=iso.example.gov.vn}"
SRC=$(cd "$(dirname "$0")/.." && pwd)
APP=/opt/iso-tracker
DATA=/var/lib/iso-tracker
ETC=/etc/iso-tracker
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

say "Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3 python3-venv postgresql postgresql-client redis-server \
  nginx rsync gettext poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 \
  fonts-dejavu-core >/dev/null

say "System user and folders"
id iso-tracker >/dev/null 2>&1 || useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin iso-tracker
install -d -o iso-tracker -g iso-tracker -m 750 "$DATA" "$DATA/media" "$DATA/backups"
install -d -o iso-tracker -g www-data -m 750 "$DATA/static"
install -d -m 750 -g iso-tracker "$ETC"

say "Code in $APP"
rsync -a --delete --exclude .git --exclude .venv --exclude var --exclude '__pycache__' "$SRC/" "$APP/"
[ -x "$APP/.venv/bin/python" ] || python3 -m venv "$APP/.venv"
"$APP/.venv/bin/pip" install --quiet --upgrade pip
"$APP/.venv/bin/pip" install --quiet -r "$APP/requirements.txt"

say "Redis keeps its queues across restarts (append-only file)"
install -D -m 644 "$APP/deploy/redis/iso-tracker.conf" /etc/redis/iso-tracker.conf
if ! grep -qx 'include /etc/redis/iso-tracker.conf' /etc/redis/redis.conf; then
  echo 'include /etc/redis/iso-tracker.conf' >>/etc/redis/redis.conf
  redis-cli CONFIG SET appendonly yes >/dev/null  # writes the AOF from what Redis holds now, then restarts on it
  sleep 2
  systemctl restart redis-server
fi

say "Database"
if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'iso_tracker'" | grep -q 1; then
  DB_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
  runuser -u postgres -- psql -qc "CREATE ROLE iso_tracker LOGIN PASSWORD '$DB_PASSWORD'"
  runuser -u postgres -- psql -qc "CREATE DATABASE iso_tracker OWNER iso_tracker"
else
  DB_PASSWORD=""
fi

if [ ! -f "$ETC/env" ]; then
  say "Settings in $ETC/env (edit e-mail settings there)"
  [ -n "$DB_PASSWORD" ] || { echo "The database role exists but $ETC/env does not: restore it or reset the role's password." >&2; exit 1; }
  SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
  sed -e "s|^SECRET_KEY=.*|SECRET_KEY=$SECRET|" \
      -e "s|^ALLOWED_HOSTS=.*|ALLOWED_HOSTS=$ISO_HOST|" \
      -e "s|^CSRF_TRUSTED_ORIGINS=.*|CSRF_TRUSTED_ORIGINS=https://$ISO_HOST|" \
      -e "s|^SITE_URL=.*|SITE_URL=https://$ISO_HOST|" \
      -e "s|^DATABASE_URL=.*|DATABASE_URL=postgres://iso_tracker:$DB_PASSWORD@127.0.0.1:5432/iso_tracker|" \
      -e "s|^DATA_DIR=.*|DATA_DIR=$DATA|" \
      -e "s|^EMAIL_HOST=.*|EMAIL_HOST=|" \
      "$SRC/.env.example" | grep -v '^#' | grep -v '^$' | grep -v '=$' >"$ETC/env"
  chmod 640 "$ETC/env"; chgrp iso-tracker "$ETC/env"
fi

say "Migrations, static files, catalogue"
"$APP/deploy/manage.sh" migrate --noinput
"$APP/deploy/manage.sh" collectstatic --noinput -v0
"$APP/deploy/manage.sh" check --deploy --fail-level WARNING

say "systemd units"
install -m 644 "$APP"/deploy/systemd/*.service "$APP"/deploy/systemd/*.timer /etc/systemd/system/
systemctl daemon-reload
systemctl enable --now iso-tracker-web iso-tracker-worker iso-tracker-reports iso-tracker-beat iso-tracker-backup.timer
systemctl restart iso-tracker-web iso-tracker-worker iso-tracker-reports iso-tracker-beat

say "nginx"
if [ ! -f /etc/nginx/sites-available/iso-tracker.conf ]; then
  sed "s/iso.example.gov.vn/$ISO_HOST/g" "$APP/deploy/nginx/iso-tracker.conf" >/etc/nginx/sites-available/iso-tracker.conf
  ln -sf /etc/nginx/sites-available/iso-tracker.conf /etc/nginx/sites-enabled/iso-tracker.conf
fi
if [ ! -f /etc/ssl/iso-tracker/fullchain.pem ] || [ ! -f /etc/ssl/iso-tracker/privkey.pem ]; then
  echo "STOPPED before nginx: no TLS certificate yet. Put fullchain.pem and privkey.pem in /etc/ssl/iso-tracker/," >&2
  echo "then run this script again (or: nginx -t && systemctl reload nginx). The app itself is installed and running." >&2
  exit 3
fi
if ! nginx -t; then
  echo "STOPPED: nginx refuses its configuration (its message is above); nginx was not reloaded." >&2
  echo "Fix /etc/nginx/sites-available/iso-tracker.conf (bash $APP/deploy/check_nginx.sh tests the shipped one)." >&2
  exit 1
fi
systemctl reload nginx

say "Done. The first account: $APP/deploy/manage.sh createsuperuser (then DOST accounts from the web, see README)"
