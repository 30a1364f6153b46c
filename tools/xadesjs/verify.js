// Checks a segl XAdES evidence file with xadesjs, an implementation we did
// not write: XML-DSig core validation (both References and SignatureValue),
// then what xadesjs parses of the qualifying properties: SigningTime, the
// SigningCertificateV2 digest against the KeyInfo certificate, and, when
// present, the SignatureTimeStamp imprint against xmldsigjs's own exclusive
// canonicalisation of ds:SignatureValue. Prints JSON; exit 0 only if valid.
"use strict";
const fs = require("fs");
const nodeCrypto = require("crypto");
const xadesjs = require("xadesjs");
const { XmlCanonicalizer, CryptoConfig } = require("xmldsigjs");
const pkijs = require("pkijs");
const asn1js = require("asn1js");

xadesjs.Application.setEngine("NodeJS", globalThis.crypto);
const { DOMParser, XMLSerializer } = require("@xmldom/xmldom");
require("xml-core").setNodeDependencies({ DOMParser, XMLSerializer });
const DS = "http://www.w3.org/2000/09/xmldsig#";
const XADES = "http://uri.etsi.org/01903/v1.3.2#";

function imprint(tokenDER) {
  const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(tokenDER).buffer).result });
  const sd = new pkijs.SignedData({ schema: ci.content });
  const econtent = sd.encapContentInfo.eContent.valueBlock.valueHexView;
  const tst = new pkijs.TSTInfo({ schema: asn1js.fromBER(econtent.slice().buffer).result });
  return Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView).toString("base64");
}

(async () => {
  const xml = fs.readFileSync(process.argv[2], "utf8");
  const doc = xadesjs.Parse(xml);
  const sigs = doc.getElementsByTagNameNS(DS, "Signature");
  const signed = new xadesjs.SignedXml(doc);
  signed.LoadXml(sigs[0]);
  // The key is the first KeyInfo certificate's, the one SigningCertificateV2
  // must name (checked below). Without it xmldsigjs imports every KeyInfo
  // certificate with the signature algorithm, and an RSA signer under an
  // ECDSA CA fails.
  const alg = CryptoConfig.CreateSignatureAlgorithm(signed.XmlSignature.SignedInfo.SignatureMethod).algorithm;
  const leaf = signed.XmlSignature.KeyInfo.Item(0).Certificates[0];
  if (alg.name.startsWith("RSA")) {
    alg.hash = { name: alg.hash.name };
  }
  const key = await leaf.exportKey(alg); // sets alg.namedCurve for ECDSA
  signed.Algorithm = alg; // Verify re-imports the key with it
  const out = { signatures: sigs.length, valid: false };
  try {
    out.valid = await signed.Verify(key);
  } catch (e) {
    out.error = e.message; // xmldsigjs throws on a reference digest mismatch
  }

  const ssp = signed.Properties.SignedProperties.SignedSignatureProperties;
  out.signingTime = ssp.SigningTime.Value && ssp.SigningTime.Value.toISOString();
  const certB64 = doc.getElementsByTagNameNS(DS, "X509Certificate")[0].textContent.replace(/\s/g, "");
  const certDigest = nodeCrypto.createHash("sha256").update(Buffer.from(certB64, "base64")).digest("base64");
  const v2 = ssp.SigningCertificateV2;
  out.signingCertificateV2 = v2.Count === 1 &&
    v2.Item(0).CertDigest.DigestMethod.Algorithm === "http://www.w3.org/2001/04/xmlenc#sha256" &&
    Buffer.from(v2.Item(0).CertDigest.DigestValue).toString("base64") === certDigest &&
    v2.Item(0).IssuerSerial instanceof Uint8Array;

  const ets = doc.getElementsByTagNameNS(XADES, "EncapsulatedTimeStamp");
  if (ets.length > 0) {
    const sv = doc.getElementsByTagNameNS(DS, "SignatureValue")[0];
    const c14n = new XmlCanonicalizer(false, true).Canonicalize(sv);
    const want = nodeCrypto.createHash("sha256").update(c14n, "utf8").digest("base64");
    out.timeStampImprint = imprint(Buffer.from(ets[0].textContent.replace(/\s/g, ""), "base64")) === want;
  }
  console.log(JSON.stringify(out));
  const ok = out.valid && out.signingCertificateV2 && out.timeStampImprint !== false;
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error(String((e && e.stack) || e)); process.exit(2); });
