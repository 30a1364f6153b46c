// Package pdfa renders plain UTF-8 text as PDF/A-3b (ISO 19005-3:2012,
// conformance level B), so that text documents are signed with PAdES like
// PDFs, and lays out segl's signature page and the signers' entries on it.
// PDF/A-3 because the signed output carries each signer's evidence (XAdES)
// as an embedded file, which PDF/A-1 forbids and PDF/A-2 allows only for
// files that are PDF/A themselves.
//
// # Rendering
//
// [RenderText] writes a complete file front to back in one pass, holding one
// page of text at a time; with [Meta.SignaturePage] it ends the document
// with segl's signature page. [SignaturePage] returns the objects of the
// same page for an incremental update (ISO 32000-1 7.5.6) that internal/pdf
// writes, for documents that arrive as PDF. The page has one empty,
// numbered slot per signer at the place [SlotLayout] gives; each signing
// act fills its slot with the appearance of its signature widget, which
// [AppearanceText] draws with a font of its own (the subset of the
// repertoire it is given, or of its text), so that the page never changes
// after the first signature.
//
// The file is written by this package, not by a general PDF library,
// because PDF/A fixes details a library rarely exposes: the binary header
// comment (ISO 19005-3 6.1.2), the trailer /ID (6.1.3), the layout of
// objects and streams (6.1.7, 6.1.8), the output intent (6.2.2), the
// embedded font and its widths (6.2.11), and metadata that agrees between
// the information dictionary and XMP (6.6.2.3). The output is
// deterministic: the same text and Meta give the same bytes.
//
// # Font
//
// Text is set in DejaVu Sans (fonts/, Bitstream Vera licence with DejaVu's
// public-domain changes), compiled in with go:embed. Each document embeds
// a TrueType subset of the glyphs it shows as a CIDFontType2 font with
// Identity-H encoding (ISO 32000-1 9.7.4, 9.7.6), /CIDToGIDMap, /W and a
// /ToUnicode CMap (9.10.3), so text can be searched and copied. The subset
// keeps the font-wide hinting tables but not the glyphs' own instructions
// (more than half of their bytes); composite glyphs (most accented letters,
// å among them) bring their components. A one-page form is about 14 KB in
// all, where the whole font would add 750 KB.
//
// # Colour
//
// The output intent's profile is the sRGB IEC 61966-2.1 ICC profile of
// Debian's icc-profiles-free (icc/, zlib licence), 7 KB.
//
// # What is not checked here
//
// No PDF/A validator is packaged for Debian (veraPDF is not), so the tests
// check the ISO 19005-3 requirements that apply to this output with
// internal/pdf, and the file with qpdf and poppler (pdffonts, pdftotext,
// pdfinfo, pdftoppm). Running veraPDF on the output, when one is at hand,
// is the remaining check.
package pdfa
