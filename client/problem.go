package client

import "fmt"

// Problem is an RFC 9457 problem detail, as every API error is returned.
// Code is stable: switch on it, not on Title or Detail.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Code   string         `json:"code"`
	Field  string         `json:"field,omitempty"`
	Errors []ProblemField `json:"errors,omitempty"` // every invalid field when there are several
	// Document is the id of the job's document to use instead of the one
	// asked for: for "signed-in-combined-document", the combined document
	// whose signed PDF holds the original.
	Document string `json:"document,omitempty"`
}

// ProblemField is one invalid input.
type ProblemField struct {
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
}

// ProblemTypePrefix prefixes every Code in Type.
const ProblemTypePrefix = "urn:segl:problem:"

func (p *Problem) Error() string {
	return fmt.Sprintf("segl: %d %s: %s", p.Status, p.Code, p.Detail)
}
