package pdf

// What segl adds to a document needs PDF 1.7 with ETSI's extension:
// /UF of a file specification (ISO 32000-1 §7.11.3, PDF 1.7), /AF and
// /AFRelationship (ISO 19005-3, PDF/A-3, which is based on PDF 1.7; PDF
// 2.0 in ISO 32000-2 §14.13), and the DSS and ETSI.RFC3161 document
// time-stamps, which ETSI defines as the extension /ESIC of PDF 1.7,
// level 1 (ETSI TS 102 778-4 Annex A; EN 319 142-1 §5.4; ISO 32000-2
// §12.8.4.3 later took them in). segl declares PDF 1.7 plus /ESIC rather
// than PDF 2.0 because PDF/A-1 to -3 require a 1.x file (ISO 19005-3
// §6.1.2 allows %PDF-1.0 to 1.7): segl's text renderings are PDF/A-3b, and
// a PDF/A upload keeps its claim as PDF/A-3, which a /Version /2.0 would
// make false. A document already at PDF 2.0 has all of it and is left as
// it is; so are extensions it already declares.
const (
	featureVersion = "1.7"
	esicLevel      = 1
)

// raiseVersion makes cat, the catalog an update rewrites, declare what the
// update's features need (see featureVersion): /Version /1.7 when the
// document is older, and /Extensions /ESIC level 1 unless the document is
// at PDF 2.0 or declares a later level. It reports whether cat changed.
// The caller holds r.mu.
func (r *Reader) raiseVersion(cat Dict) (bool, error) {
	v := r.version()
	if !versionLess(v, "2.0") {
		return false, nil
	}
	changed := false
	if versionLess(v, featureVersion) {
		cat["Version"] = Name(featureVersion)
		changed = true
	}
	eo, err := r.resolve(cat["Extensions"])
	if err != nil {
		return false, err
	}
	ext := Dict{}
	if d, ok := eo.(Dict); ok {
		ext = cloneDict(d)
	}
	esic, err := r.resolve(ext["ESIC"])
	if err != nil {
		return false, err
	}
	if d, ok := esic.(Dict); ok {
		if level, ok := intValue(d["ExtensionLevel"]); ok && level >= esicLevel {
			return changed, nil
		}
	}
	ext["ESIC"] = Dict{"Type": Name("DeveloperExtensions"), "BaseVersion": Name(featureVersion), "ExtensionLevel": Int(esicLevel)}
	cat["Extensions"] = ext
	return true, nil
}
