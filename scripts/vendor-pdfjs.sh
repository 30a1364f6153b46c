#!/usr/bin/env bash
# Vendors PDF.js (the signer's inline preview) into internal/web/static from
# the version tools/pdfjs/package-lock.json pins: the minified library, its
# worker and its licence. The copies are committed, so neither a build nor CI
# needs npm; run this only to move to another version (edit package.json,
# `npm install` there to update the lockfile, then this script), and commit
# the result. internal/web's TestVendoredPDFJS checks the copies match the
# lockfile's version.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tools/pdfjs && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error)
dist=tools/pdfjs/node_modules/pdfjs-dist
cp "$dist/build/pdf.min.mjs" internal/web/static/pdf.min.mjs
cp "$dist/build/pdf.worker.min.mjs" internal/web/static/pdf.worker.min.mjs
cp "$dist/LICENSE" internal/web/static/pdfjs-LICENSE.txt
