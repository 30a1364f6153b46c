#!/usr/bin/env bash
# Installs what segl's tests need on a fresh Debian machine: the independent
# validators (pdfsig, qpdf, openssl, xmlsec1 …). Idempotent: it installs only
# what is missing, so it is cheap to run before every test run.
set -euo pipefail

cd "$(dirname "$0")/.."

packages=(
  openssl          # openssl ts / cms / ocsp: independent checks of tokens and signatures
  qpdf             # qpdf --check, and test fixtures (encrypted, object streams)
  poppler-utils    # pdfsig, pdfinfo
  libnss3-tools    # certutil: the NSS trust store pdfsig reads
  xmlsec1          # xmlsec1 --verify for XAdES evidence
  xml-security-c-utils  # xsec-checksig: a second XML-DSig implementation
  libxml2-utils    # xmllint: well-formedness and exclusive c14n cross-checks
  softhsm2         # a PKCS#11 token for the HSM-held seal, TSA and OCSP keys (internal/hsm)
  chromium         # browser tests (driven by playwright-core from e2e/browser, never a downloaded browser)
  postgresql-15    # server binaries for scripts/pg-test-server (the PostgreSQL store and queue tests)
  curl jq          # the README's tour, run as written by TestREADMETour (cmd/segl)
  libpdfbox2-java  # Apache PDFBox preflight (PDF/A-1b validator), run with the JDK by testtool.Preflight
  libactivation-java libjaxb-api-java  # javax.activation and javax.xml.bind, which preflight needs on Java 11+
)
# Node.js runs the browser harness; machines that ship their own Node (with npm
# bundled) must not get Debian's npm on top, so look for the commands.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

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

# Node tools from their lockfiles: the browser harness (playwright-core,
# axe-core) and xadesjs, which checks XAdES semantics of the evidence.
for dir in e2e/browser tools/xadesjs; do
  if [ ! -d "$dir/node_modules" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# mailpit, a second SMTP implementation that reads back what segl sends
# (TestMailpit). Built once from the Go module proxy in a scratch module,
# outside the repository: `go install` of it fails on its version lookup.
mailpit_version=v1.27.11
mailpit="${XDG_CACHE_HOME:-$HOME/.cache}/segl/mailpit-$mailpit_version"
if [ ! -x "$mailpit" ]; then
  scratch=$(mktemp -d)
  (cd "$scratch" && go mod init scratch >/dev/null 2>&1 &&
    go get "github.com/axllent/mailpit@$mailpit_version" >/dev/null 2>&1 &&
    mkdir -p "$(dirname "$mailpit")" && go build -o "$mailpit" github.com/axllent/mailpit)
  rm -rf "$scratch"
fi

# SeaweedFS, the real S3 server the object-store tests run against
# (scripts/s3-test-server; MinIO's server is AGPL, a fake is no test).
# Built once the same way; a cold build takes minutes on two cores.
weed_version=v0.0.0-20261109003541-7506e5f91cd6
weed="${XDG_CACHE_HOME:-$HOME/.cache}/segl/weed-$weed_version"
if [ ! -x "$weed" ]; then
  echo "install-deps: building SeaweedFS (weed) once, into $weed"
  scratch=$(mktemp -d)
  (cd "$scratch" && go mod init scratch >/dev/null 2>&1 &&
    go get "github.com/seaweedfs/seaweedfs/weed@$weed_version" >/dev/null 2>&1 &&
    mkdir -p "$(dirname "$weed")" && go build -o "$weed.tmp" github.com/seaweedfs/seaweedfs/weed &&
    mv "$weed.tmp" "$weed")
  rm -rf "$scratch"
fi
