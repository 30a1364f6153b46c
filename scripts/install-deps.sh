#!/usr/bin/env bash
# Installs what segl's tests need on a fresh Debian machine: the independent
# validators (pdfsig, qpdf, openssl, xmlsec1 …). Idempotent: it installs only
# what is missing, so it is cheap to run before every test run.
set -euo pipefail

packages=(
  openssl          # openssl ts / cms / ocsp: independent checks of tokens and signatures
  qpdf             # qpdf --check, and test fixtures (encrypted, object streams)
  poppler-utils    # pdfsig, pdfinfo
  libnss3-tools    # certutil: the NSS trust store pdfsig reads
  xmlsec1          # xmlsec1 --verify for XAdES evidence
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
