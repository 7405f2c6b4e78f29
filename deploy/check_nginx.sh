#!/usr/bin/env bash
# Checks the shipped nginx site (deploy/nginx/iso-tracker.conf) with the machine's nginx (`nginx -t`), as
# install.sh puts it in place: a throw-away prefix, a self-signed certificate where the real one will be.
# Exit 0 when nginx accepts it. CI runs it with Debian 12's nginx (1.22).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install nginx)"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs" "$work/ssl"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=iso.example.gov.vn" \
  -keyout "$work/ssl/privkey.pem" -out "$work/ssl/fullchain.pem" 2>/dev/null
sed "s#/etc/ssl/iso-tracker/#$work/ssl/#g" "$ROOT/deploy/nginx/iso-tracker.conf" >"$work/site.conf"
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log stderr;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $work/site.conf;
}
CONF
echo "$(nginx -v 2>&1): testing deploy/nginx/iso-tracker.conf"
nginx -t -q -p "$work" -c "$work/nginx.conf" -e stderr
echo "nginx accepts the shipped site"
