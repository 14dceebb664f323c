#!/bin/sh
# The secrets of deploy/compose.yaml, as files under deploy/secrets/ (or the directory given):
# random ones generated with openssl, never overwritten once they exist (re-run it safely).
# The identity provider's client secret cannot be generated: write it to oidc_client_secret.
#
#   deploy/generate-secrets.sh [directory]
#
# The directory is gitignored, readable by its owner only; the files in it are readable
# (0644) because Compose mounts them as they are into containers running as other users.
set -eu
dir="${1:-$(dirname "$0")/secrets}"
mkdir -p "$dir"
chmod 700 "$dir"
umask 022

write() {
  if [ -e "$dir/$1" ]; then
    echo "kept    $dir/$1"
  else
    printf '%s' "$2" >"$dir/$1"
    echo "written $dir/$1"
  fi
}

if [ -e "$dir/postgres_password" ]; then
  password="$(cat "$dir/postgres_password")"
else
  password="$(openssl rand -hex 24)"
fi
write postgres_password "$password"
write database_url "postgresql://eig:$password@postgres:5432/eig"
write dossier_link_secret "$(openssl rand -hex 32)"
write console_session_secret "$(openssl rand -hex 32)"
if [ ! -e "$dir/oidc_client_secret" ]; then
  echo "missing $dir/oidc_client_secret: write the identity provider's client secret there"
fi
