// Package xades builds and verifies segl's evidence of one signing act: an
// XAdES signature (ETSI EN 319 132-1) at the baseline levels B-B, B-T and
// B-LT (EN 319 132-1 clause 6) over an XML document of facts.
//
// The evidence is an enveloping XML signature (XMLDSig 1.1: "the signature
// is over content found within an Object element of the signature itself"):
// the document element is ds:Signature, and its two ds:Object children hold
// the facts
//
//	<segl:Evidence xmlns:segl="urn:segl:evidence:1" Id="evidence">…</segl:Evidence>
//
// and the xades:QualifyingProperties (EN 319 132-1 clause 4). SignedInfo has
// exactly two References, both with the Exclusive XML Canonicalization 1.0
// transform and SHA-256: one to the facts (URI "#evidence") and one to the
// xades:SignedProperties (Type "http://uri.etsi.org/01903#SignedProperties",
// EN 319 132-1 clause 4). The signature method is ECDSA (RFC 4051 §2.3.6 and
// XMLDSig 1.1 §6.4.3: the SignatureValue is the raw concatenation r‖s, not
// ASN.1 DER) or RSA PKCS#1 v1.5 (RFC 4051 §2.3.2), and KeyInfo carries the
// certificate chain.
//
// Signed properties are SigningTime (§5.2.1), SigningCertificateV2 (§5.2.2)
// and a DataObjectFormat for the facts (§5.2). Unsigned properties are the
// SignatureTimeStamp (§5.3, an RFC 3161 token over the exclusive
// canonicalisation of ds:SignatureValue) for B-T, and CertificateValues and
// RevocationValues (§5.4) for B-LT.
//
// Canonicalisation is implemented here (c14n.go) over github.com/beevik/etree
// rather than borrowed, so that what is digested is exactly the tree from
// which the facts are read. The tests check it, and every signature this
// package makes, with tools we did not write: xmlsec1 and xmllint (libxml2),
// xsec-checksig (Apache Santuario C++) and `openssl ts -verify`.
//
// Verify is strict: it accepts the documents Sign makes and the variations
// an XML tool may introduce (whitespace, prefixes, line-wrapped base64), and
// rejects everything else that could make the facts read differ from the
// facts signed: document type declarations, comments and processing
// instructions, more than one signature, duplicate Ids, references that do
// not point at the two expected elements of this signature, and weak or
// unknown algorithms.
package xades
