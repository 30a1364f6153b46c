#!/usr/bin/env bash
# Whole-process comparison of segl with tools we did not write, on the same
# generated PDF and the same key (the development seal, ECDSA P-256):
#
#   sealing:    segl seal B-B, segl seal B-LTA, pdfsig -add-signature (poppler/NSS)
#   validation: segl validate, pdfsig (verify), pdfcpu signatures validate
#
# Wall time from hyperfine, peak RSS from /usr/bin/time -v. The results go to
# $OUT (default /tmp/segl-bench-tools.md) and stdout; docs/benchmarks.md
# quotes them. Every run is bounded (a fixed number of runs, each command
# under timeout) and nothing leaves the machine: the development PKI has no
# OCSP, CRL or CA-issuer URLs (checked below), segl uses its in-process TSA
# and OCSP responder, and pdfcpu runs with an empty trust store but our root.
#
# Environment: SIZE (bytes, default 10000000), RUNS (default 20),
# WARMUP (default 3), PDFCPU (default /tmp/bin/pdfcpu, installed there with
# go install if missing), KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-10000000}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
PDFCPU=${PDFCPU:-/tmp/bin/pdfcpu}
OUT=${OUT:-/tmp/segl-bench-tools.md}
PDFCPU_VERSION=v0.15.0

# --- tools ---------------------------------------------------------------
if ! command -v hyperfine >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends hyperfine >/dev/null
fi
for tool in pdfsig certutil pk12util openssl /usr/bin/time go; do
  command -v "$tool" >/dev/null || { echo "bench-tools: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
if [ ! -x "$PDFCPU" ]; then
  # Outside the repository, so segl's go.mod is not touched.
  (cd /tmp && GOBIN="$(dirname "$PDFCPU")" go install "github.com/pdfcpu/pdfcpu/cmd/pdfcpu@$PDFCPU_VERSION")
fi

work=$(mktemp -d /tmp/segl-bench.XXXXXX)
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
data=$work/data
doc=$work/doc.pdf
db=$work/nssdb
pcconf=$work/pdfcpu

go build -o "$work/segl" ./cmd/segl
go run ./internal/testdocs/cmd/mkpdf -size "$SIZE" -out "$doc"
segl=$work/segl

# --- the same key for everyone ---------------------------------------------
# The first seal creates the development PKI in $data.
"$segl" seal --data "$data" --in "$doc" --out "$work/sealed-bb.pdf" --level B-B >/dev/null
"$segl" seal --data "$data" --in "$doc" --out "$work/sealed-lta.pdf" --level B-LTA >/dev/null
pki=$data/pki
for c in seal tsa issuing-ca root-ca; do
  if openssl x509 -in "$pki/$c.pem" -noout -text | grep -q 'URI:'; then
    echo "bench-tools: $c.pem names a URL; validators could go online" >&2
    exit 1
  fi
done

# NSS database for pdfsig: the development root trusted, the seal's key and
# chain imported from a PKCS#12 under the nickname segl-seal.
mkdir -p "$db"
certutil -N -d "sql:$db" --empty-password
certutil -A -d "sql:$db" -n segl-dev-root -t C,C,C -i "$pki/root-ca.pem"
openssl pkcs12 -export -inkey "$pki/seal.key" -in "$pki/seal.pem" -name segl-seal -passout pass: -out "$work/seal.p12"
pk12util -i "$work/seal.p12" -d "sql:$db" -W '' >/dev/null

# pdfcpu: its own configuration directory, trusting the development root.
mkdir -p "$pcconf"
"$PDFCPU" -c "$pcconf" certificates import "$pki/root-ca.pem" >/dev/null

# pdfsig -add-signature (poppler 22.12) fails at random with this P-256 key
# ("signDocument: unable update signature"): its CMS must fill the
# placeholder exactly, and an ECDSA signature's length varies by a byte or
# two. A failed run has done all the work but the last write, so the timings
# below ignore its exit status (-i); here it is counted, and retried until one
# signed file exists to check.
pdfsig_fail=0
for i in $(seq 1 "$RUNS"); do
  rm -f "$work/try.pdf"
  if timeout 60 pdfsig -add-signature -nssdir "$db" -nick segl-seal -reason bench "$doc" "$work/try.pdf" >/dev/null 2>&1; then
    [ -f "$work/pdfsig-signed.pdf" ] || mv "$work/try.pdf" "$work/pdfsig-signed.pdf"
  else
    pdfsig_fail=$((pdfsig_fail + 1))
  fi
done
[ -f "$work/pdfsig-signed.pdf" ] || { echo "bench-tools: pdfsig -add-signature never succeeded" >&2; exit 1; }

# Sanity: every tool accepts what it is about to be timed on.
grep -q ': TOTAL_PASSED' <<<"$("$segl" validate --data "$data" "$work/sealed-lta.pdf")"
grep -q 'Certificate is Trusted' <<<"$(pdfsig -nssdir "$db" "$work/sealed-lta.pdf" 2>/dev/null)"
grep -q 'Certificate is Trusted' <<<"$(pdfsig -nssdir "$db" "$work/pdfsig-signed.pdf" 2>/dev/null)"
"$PDFCPU" -c "$pcconf" signatures validate -a "$work/sealed-lta.pdf" >/dev/null

# --- timings -----------------------------------------------------------------
{
  echo "# segl whole-process benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "- load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $(go version | cut -d' ' -f3), $(pdfsig -v 2>&1 | head -1), pdfcpu $PDFCPU_VERSION, $(hyperfine --version)"
  echo "- document: $(stat -c %s "$doc") bytes; key: development seal, ECDSA P-256; $RUNS runs after $WARMUP warm-up"
  echo
} >"$OUT"

hf() { # hyperfine, bounded, appending its markdown table to $OUT
  local md=$work/hf.md
  timeout 900 hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-markdown "$md" "$@"
  cat "$md" >>"$OUT"
  echo >>"$OUT"
}

{
  echo "## Sealing"
  echo
  echo "pdfsig -add-signature failed in $pdfsig_fail of $RUNS runs (see above); its timings include failed runs (-i)."
  echo
} >>"$OUT"
hf -i --prepare "rm -f $work/o-bb.pdf $work/o-lta.pdf $work/o-pdfsig.pdf" \
  -n "segl seal B-B" "$segl seal --data $data --in $doc --out $work/o-bb.pdf --level B-B" \
  -n "segl seal B-LTA" "$segl seal --data $data --in $doc --out $work/o-lta.pdf --level B-LTA" \
  -n "pdfsig -add-signature" "pdfsig -add-signature -nssdir $db -nick segl-seal -reason bench $doc $work/o-pdfsig.pdf"

printf '%s\n\n' "## Validating segl's B-LTA file" >>"$OUT"
hf -n "segl validate" "$segl validate --data $data $work/sealed-lta.pdf" \
  -n "pdfsig (verify)" "pdfsig -nssdir $db $work/sealed-lta.pdf" \
  -n "pdfcpu signatures validate" "$PDFCPU -c $pcconf signatures validate -a $work/sealed-lta.pdf"

# A B-B file: segl answers INDETERMINATE (no revocation data yet) and exits
# 1, hence -i.
printf '%s\n\n' "## Validating segl's B-B file" >>"$OUT"
hf -i -n "segl validate" "$segl validate --data $data $work/sealed-bb.pdf" \
  -n "pdfsig (verify)" "pdfsig -nssdir $db $work/sealed-bb.pdf" \
  -n "pdfcpu signatures validate" "$PDFCPU -c $pcconf signatures validate -a $work/sealed-bb.pdf"

# --- peak memory ---------------------------------------------------------------
# The largest maximum RSS of three runs of each command.
peak() {
  local name=$1 max=0 kb
  shift
  for _ in 1 2 3; do
    rm -f "$work"/m-*.pdf # pdfsig will not overwrite its output
    timeout 120 /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>&1 || true
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
    ((kb > max)) && max=$kb
  done
  awk -v n="$name" -v kb="$max" 'BEGIN { printf "| %s | %.1f |\n", n, kb / 1024 }' >>"$OUT"
}
{
  echo "## Peak resident memory (/usr/bin/time -v, largest of 3 runs)"
  echo
  echo "| command | MiB |"
  echo "|:---|---:|"
} >>"$OUT"
peak "segl seal B-B" "$segl" seal --data "$data" --in "$doc" --out "$work/m-bb.pdf" --level B-B
peak "segl seal B-LTA" "$segl" seal --data "$data" --in "$doc" --out "$work/m-lta.pdf" --level B-LTA
peak "pdfsig -add-signature" pdfsig -add-signature -nssdir "$db" -nick segl-seal -reason bench "$doc" "$work/m-pdfsig.pdf"
peak "segl validate (B-LTA file)" "$segl" validate --data "$data" "$work/sealed-lta.pdf"
peak "pdfsig verify (B-LTA file)" pdfsig -nssdir "$db" "$work/sealed-lta.pdf"
peak "pdfcpu signatures validate (B-LTA file)" "$PDFCPU" -c "$pcconf" signatures validate -a "$work/sealed-lta.pdf"
{
  echo
  echo "- load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$OUT"

cat "$OUT"
