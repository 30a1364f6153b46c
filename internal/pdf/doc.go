// Package pdf reads the structure of PDF files (ISO 32000-1) without loading
// them whole, so that segl can check uploaded documents, and appends
// incremental updates to them: PAdES signatures and document time-stamps
// (ISO 32000-1 §12.8, ETSI EN 319 142-1) and the document security store.
//
// # Reading model
//
// [Open] reads the header, finds the last startxref (7.5.5), and follows the
// chain of cross-reference sections through /Prev (7.5.6): classic tables
// (7.5.4), cross-reference streams (7.5.8) and hybrid-reference sections whose
// trailer names an /XRefStm (7.5.8.4). Objects are parsed only when asked for,
// through a small buffered window over the [io.ReaderAt]; objects stored in
// object streams (7.5.7) are decoded on demand and a few decoded object
// streams are cached. Stream data is never read unless a caller asks for it
// with [Reader.StreamReader].
//
// # Object model
//
// [Object] is a sealed interface implemented by [Null], [Bool], [Int], [Real],
// [String], [Name], [Array], [Dict], [Stream] and [Ref], one type per object
// kind of 7.3. A sealed interface (rather than any) lets the compiler reject
// foreign values in a [Dict] that a later writer will serialise. A missing
// dictionary key reads as a nil Object; a reference to a free or undefined
// object resolves to [Null] (7.3.10).
//
// # Hostile input
//
// Every loop and allocation is bounded so that malicious files fail with
// [ErrMalformed] rather than panicking, hanging or exhausting memory: nesting
// depth, string and name length, array and dictionary size, object numbers
// relative to the file size, the number of cross-reference rows, the number
// and loops of /Prev sections, reference chains, the decoded size of one
// object stream, stream /Length against the end of the file, and the number
// of objects visited by [Check]. Over the life of a [Reader], the bytes
// decoded from object streams and the bytes parsed as objects are each
// limited to 64 times the file size plus 64 MiB: far more than reading every
// object a few times needs, and enough to stop files whose objects share or
// re-inflate the same bytes over and over.
//
// # Writing: incremental updates
//
// Every change is an incremental update (7.5.6) written after the original
// bytes, which are never rewritten, so that every earlier signature still
// covers exactly its own revision. [PrepareSignature] builds the update for
// one signature (field, widget, signature dictionary with a /Contents
// placeholder and a fixed /ByteRange, and any embedded evidence files);
// the caller hashes the byte range ([Prepared.Digest]), makes the CMS
// signature or RFC 3161 token elsewhere, and writes the file with it
// ([Prepared.WriteTo]). An appearance that needs objects of its own (a
// font subset for a signer's name) gets them from [Appearance.Draw], with
// object numbers of the same update, as [RawObject]s: checked, then
// written as given; [Drawing] lets it refer instead to an object the
// document holds byte for byte already. [AppendPages] adds pages, such as
// segl's signature page, before the first signature; it refuses signed
// documents ([ErrSigned]). [AppendDSS] adds validation data (EN 319 142-1
// §5.4.2). Objects in an update are written uncompressed (but for an
// attachment or appearance stream its caller deflated), under their own
// object and generation numbers when they replace existing ones, and the
// cross-reference section repeats the form of the original's newest one
// (a table, or a stream; hybrid files get a table), with /Prev, /Root,
// /Info and the first /ID string carried over. The original is streamed
// from its [io.ReaderAt]: only the update, a few tens of kilobytes, is
// held in memory.
//
// On the reading side, [Reader.Signatures], [Reader.RevisionEnds] and
// [Reader.DSS] give a validator the signatures, where each revision ends
// and the stored validation data, all as found in the file and untrusted.
//
// # Normalising uploads
//
// The one exception is [Normalize], which runs once, before the first
// signature, and decides what segl signs. A PDF can hide content from its
// signer in an earlier revision that a later update overlays, in objects
// nothing references, or behind actions and XFA forms; a later,
// harmless-looking update can then reveal or swap it in (the "shadow" and
// "incremental saving" attacks of Mladenov, Mainka et al., 2019-2021), and
// cutting a file at an earlier %%EOF gives an old revision back. So an
// upload without signatures is signed as a rewritten copy of one revision:
// only the objects reachable from the newest trailer's /Root and /Info,
// renumbered, uncompressed, in one classic cross-reference table, with
// stream data copied raw (filters kept), the version kept and a fresh /ID.
// /OpenAction other than a destination, every /AA, /Perms and /AcroForm
// /XFA are dropped and reported; dynamic XFA forms ([ErrDynamicXFA]),
// JavaScript and encryption are refused; embedded files are kept and signed
// along. An upload that already carries signatures is passed through
// unchanged, since a rewrite would break them. normalize.go gives the
// details.
//
// # Combining documents
//
// [Combine] writes several unsigned documents as one, for a job that is
// signed as one PDF: the pages of each in order under a new page tree,
// with inherited attributes resolved onto each page, each document's form
// fields under a field named by its prefix, one revision written by the
// same copy as [Normalize]'s. What belongs to one document and not to the
// combination (outlines, structure trees, actions, name trees, page
// labels) is dropped and listed. combine.go gives the details.
//
// # Leniency, and why there is no reconstruction
//
// Common writer mistakes are tolerated: up to 1024 bytes of garbage before
// %PDF-, startxref further back than the last 1024 bytes (up to 64 KB),
// cross-reference entries ending in "\r\n", " \n" or " \r", offsets that are
// a few bytes off, relative to the header, or both (the reader searches for
// the expected "N G obj" or "xref" near the recorded offset counted from
// either origin), and a missing endobj or endstream.
//
// Data before %PDF- is allowed by ISO 32000-2 §7.5.2 (printer control
// data), and offsets then count from the header, as qpdf reads them; so do
// files that had junk put in front of them. The reader takes the origin
// from where the newest section is found, and an update (a signature, a
// DSS) writes its cross-reference offsets, startxref and /Prev from the same
// origin, so the signed file reads as the original did. /ByteRange counts
// from the start of the file, as the bytes a signature covers do.
//
// A cross-reference structure that is broken beyond that is not rebuilt by
// scanning the file for object headers. segl appends signatures to the
// document's existing cross-reference chain, and a file whose structure only
// exists after repair may be repaired differently by each viewer, which is
// the root of "shadow" attacks on signed PDFs. Such files are refused with
// [ErrMalformed]; the sender can re-save them with any PDF tool.
package pdf
