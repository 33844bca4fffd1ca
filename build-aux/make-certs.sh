#!/usr/bin/env bash
# Makes a private certificate authority and a server certificate for a hub on
# this machine, as a district would for its internal network:
#   make-certs.sh DIR           ca.pem, ca-key.pem, server.pem, server-key.pem
#                               (server: localhost and 127.0.0.1, 825 days)
#   make-certs.sh DIR --faults  also the certificates the TLS fault tests use:
#                               wronghost.pem (for wrong.example.invalid),
#                               expired.pem (valid only during 2020),
#                               selfsigned.pem (signed by nobody the client trusts)
#                               each with its -key.pem
# Existing files are kept: the CA is made once.
set -euo pipefail

dir=$1
faults=${2:-}
mkdir -p "$dir"
cd "$dir"

subject_ca="/O=Precinct local district/CN=Precinct local CA"

if [ ! -f ca.pem ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca-key.pem -out ca.pem -days 3650 -subj "$subject_ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

# sign NAME SAN [openssl x509 options…]: a key and a certificate signed by the CA.
sign() {
  local name=$1 san=$2
  shift 2
  [ -f "$name.pem" ] && return 0
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$name-key.pem" -out "$name.csr" -subj "/CN=${san#*:}" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
    "$san" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -out "$name.pem" -extfile "$name.ext" "$@" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

sign server "DNS:localhost,IP:127.0.0.1" -days 825

if [ "$faults" = "--faults" ]; then
  sign wronghost "DNS:wrong.example.invalid" -days 825

  # openssl x509 cannot back-date; `openssl ca` can, with a throwaway config.
  if [ ! -f expired.pem ]; then
    mkdir -p expired-ca
    : > expired-ca/index.txt
    cat > expired-ca/ca.cnf <<CNF
[ca]
default_ca = local
[local]
dir = expired-ca
database = expired-ca/index.txt
new_certs_dir = expired-ca
serial = expired-ca/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[server]
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
basicConstraints = CA:FALSE
CNF
    echo 01 > expired-ca/serial
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout expired-key.pem -out expired.csr -subj "/CN=localhost" 2>/dev/null
    openssl ca -batch -config expired-ca/ca.cnf -cert ca.pem -keyfile ca-key.pem \
      -in expired.csr -out expired.pem -extensions server -notext \
      -startdate 20200101000000Z -enddate 20201231235959Z 2>/dev/null
    rm -rf expired.csr expired-ca
  fi

  if [ ! -f selfsigned.pem ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout selfsigned-key.pem -out selfsigned.pem -days 825 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
  fi
fi
