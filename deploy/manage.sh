#!/usr/bin/env bash
# Run a manage.py command on the server exactly as the services run: as iso-tracker, with the
# settings of /etc/iso-tracker/env read by systemd itself. As root:
#   /opt/iso-tracker/deploy/manage.sh createsuperuser
#   /opt/iso-tracker/deploy/manage.sh backup --output /root/iso-tracker.tar.gz
set -euo pipefail
mode=--pipe
[ -t 0 ] && mode=--pty
exec systemd-run --quiet --wait --collect "$mode" \
  --property=User=iso-tracker --property=Group=iso-tracker \
  --property=EnvironmentFile=/etc/iso-tracker/env \
  --property=WorkingDirectory=/opt/iso-tracker \
  /opt/iso-tracker/.venv/bin/python /opt/iso-tracker/manage.py "$@"
