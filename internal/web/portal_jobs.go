package web

import (
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// --- the list of jobs ---

// jobsPerPage is how many jobs a page of the list holds: the store reads
// them and their signers in two queries, whatever the page size, and
// bounds it (store.MaxTableLimit).
const jobsPerPage = 25

// listQuery is what the list shows, as its query parameters say: ?q=
// (search), status, sort, dir (asc or desc) and page. Every link of the
// list (sorting, paging) keeps the others; a new search or filter starts
// again at page 1.
type listQuery struct {
	Search string
	Status job.Status // "" for every status
	Sort   store.Sort
	Desc   bool
	Page   int // from 1
}

// readListQuery reads the list's parameters, ignoring what it does not
// know: a bookmark with an old sort still shows the list.
func readListQuery(v url.Values) listQuery {
	q := listQuery{Search: strings.TrimSpace(v.Get("q")), Sort: store.Sort(v.Get("sort")), Page: 1}
	if len(q.Search) > 200 {
		q.Search = q.Search[:200]
	}
	if st := job.Status(v.Get("status")); slices.Contains(store.StatusRank, st) {
		q.Status = st
	}
	if !q.Sort.Valid() {
		q.Sort = store.SortCreated
	}
	q.Desc = defaultDesc(q.Sort)
	switch v.Get("dir") {
	case "asc":
		q.Desc = false
	case "desc":
		q.Desc = true
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 && n <= 100_000 {
		q.Page = n
	}
	return q
}

// defaultDesc is the direction a column sorts in when first chosen: the
// newest first, the nearest deadline first, titles and statuses from the
// start.
func defaultDesc(s store.Sort) bool { return s == store.SortCreated }

// URL is the list with q's parameters, the defaults left out.
func (q listQuery) URL() string {
	v := url.Values{}
	if q.Search != "" {
		v.Set("q", q.Search)
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if q.Sort != store.SortCreated || !q.Desc {
		v.Set("sort", string(q.Sort))
		v.Set("dir", map[bool]string{false: "asc", true: "desc"}[q.Desc])
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if len(v) == 0 {
		return "/portal/"
	}
	return "/portal/?" + v.Encode()
}

// SortURL is the list sorted by column s: the other way round when it is
// sorted by s already, else in s's first direction; back to page 1.
func (q listQuery) SortURL(s string) string {
	next := q
	next.Sort, next.Page = store.Sort(s), 1
	next.Desc = defaultDesc(next.Sort)
	if q.Sort == next.Sort {
		next.Desc = !q.Desc
	}
	return next.URL()
}

// AriaSort is the aria-sort value of column s's header: "ascending" or
// "descending" for the column the list is sorted by, else "".
func (q listQuery) AriaSort(s string) string {
	switch {
	case q.Sort != store.Sort(s):
		return ""
	case q.Desc:
		return "descending"
	}
	return "ascending"
}

// sortColumn is what the header of a sortable column needs.
type sortColumn struct {
	Query listQuery
	Col   string
}

// Column is the header of sortable column col.
func (q listQuery) Column(col string) sortColumn { return sortColumn{q, col} }

// PageURL is page n of the same list.
func (q listQuery) PageURL(n int) string {
	q.Page = n
	return q.URL()
}

type jobsView struct {
	Nav      navView
	Query    listQuery
	Statuses []job.Status // for the filter
	Jobs     []jobRow
	Total    int
	Pages    int
	// Prev and Next are the neighbouring pages, "" at either end.
	Prev, Next string
	// Filtered says whether a search or filter narrows the list, so an
	// empty one says "nothing matches" rather than "no jobs yet".
	Filtered bool
}

type jobRow struct {
	URL, Title, Reference, Creator string
	Status                         job.Status
	Created, Deadline              time.Time
	Deleted                        bool
	Signers                        []signerCell
	Signed                         int
}

// signerCell is a signer as the list names them: by name once the eID
// gave it, else the address the job has for them, else their birth date
// (a list never shows an identity number).
type signerCell struct {
	Text   string
	Signed bool
}

// portalJobs lists the caller's jobs in a table: a sender's own, all of
// the organisation's for an administrator, with who made them. Search,
// filter, sorting and paging are done by the store.
func (w *Web) portalJobs(rw http.ResponseWriter, r *http.Request) error {
	ctx, lang := r.Context(), Lang(r)
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	q := readListQuery(r.URL.Query())
	page, err := w.staff.Svc.JobTable(ctx, a.caller, store.TableQuery{Status: q.Status, Search: q.Search, Sort: q.Sort,
		Desc: q.Desc, Offset: (q.Page - 1) * jobsPerPage, Limit: jobsPerPage})
	if err != nil {
		return err
	}
	creators, err := w.creators(ctx, a)
	if err != nil {
		return err
	}
	v := jobsView{Nav: a.nav(), Query: q, Statuses: store.StatusRank, Total: page.Total,
		Pages: max(1, (page.Total+jobsPerPage-1)/jobsPerPage), Filtered: q.Search != "" || q.Status != ""}
	if len(page.Jobs) == 0 && q.Page > v.Pages {
		// A bookmark past the end (jobs were deleted since): the last page.
		http.Redirect(rw, r, q.PageURL(v.Pages), http.StatusSeeOther)
		return nil
	}
	if q.Page > 1 {
		v.Prev = q.PageURL(min(q.Page-1, v.Pages))
	}
	if q.Page < v.Pages {
		v.Next = q.PageURL(q.Page + 1)
	}
	for _, t := range page.Jobs {
		row := jobRow{URL: portalPath(t.ID), Title: t.Title, Reference: t.Reference, Status: t.Status,
			Created: t.CreatedAt, Deadline: t.ExpiresAt, Deleted: t.Deleted}
		for _, s := range t.Signers {
			cell := signerCell{Text: w.signerText(lang, s), Signed: s.Status == job.SignerSigned}
			if cell.Signed {
				row.Signed++
			}
			row.Signers = append(row.Signers, cell)
		}
		if a.admin() {
			row.Creator = creators(lang, t.Creator)
		}
		v.Jobs = append(v.Jobs, row)
	}
	w.Render(rw, r, "portal_jobs", v)
	return nil
}

// signerText names a signer in the list (signerCell).
func (w *Web) signerText(lang string, s store.TableSigner) string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Email != "":
		return s.Email
	case s.Mobile != "":
		return s.Mobile
	}
	if day, ok := job.BirthDate(s.PID); ok {
		if t, err := time.Parse(time.DateOnly, day); err == nil {
			return w.T(lang, "portal.jobs.signer.born", w.FormatDate(lang, time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, oslo)))
		}
	}
	return w.T(lang, "portal.jobs.signer.unknown")
}

// creators names the creator of a job for an administrator: the user's
// name, "the API", a broker through the API, or "a former user" (never an
// identity number on a list).
func (w *Web) creators(ctx context.Context, a access) (func(lang, creator string) string, error) {
	names := map[string]string{}
	if a.admin() {
		users, err := w.staff.Admin.Users(ctx, a.caller)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			names["pid:"+u.PID] = u.Name
		}
	}
	return func(lang, creator string) string {
		switch {
		case names[creator] != "":
			return names[creator]
		case strings.HasPrefix(creator, "cert:"):
			return w.T(lang, "portal.creator.api")
		case strings.HasPrefix(creator, "broker:"): // "broker:<orgnr>/cert:<serial>" (ceremony.ActFor)
			broker, _, _ := strings.Cut(strings.TrimPrefix(creator, "broker:"), "/")
			return w.T(lang, "portal.creator.broker", broker)
		}
		return w.T(lang, "portal.creator.former")
	}, nil
}

// --- a new job ---

// portalError is one problem with a form: the id of the input it is
// about ("" for none) and the message in the page's language.
type portalError struct {
	Field, Text string
}

func firstError(list []portalError, field string) string {
	for _, e := range list {
		if e.Field == field {
			return e.Text
		}
	}
	return ""
}

// jobForm is the new-job form as the sender filled it in, to be shown
// again with what is wrong. Files cannot be given back to a browser: the
// page asks for them again.
type jobForm struct {
	Title, Description, Reference string
	DocTitles                     []string // DocTitles[n] is row n+1's
	SignatureType, Assurance      string
	Expires                       string // yyyy-mm-dd, Norwegian time; "" for the default
	Order                         string // "parallel" or "sequential"
	Signers                       []signerRow
}

// signerRow is one row of signer inputs, named signer-N-pid and so on.
type signerRow struct {
	N                              int // from 1, in the order of the form
	PID, Email, Mobile, OnBehalfOf string
	errors                         []portalError
}

// ID is the id (and name) of the row's input for field: pid, email,
// mobile or org.
func (s signerRow) ID(field string) string { return fmt.Sprintf("signer-%d-%s", s.N, field) }

// Error is the message about the row's input for field, or "".
func (s signerRow) Error(field string) string { return firstError(s.errors, s.ID(field)) }

func (s signerRow) empty() bool {
	return s.PID == "" && s.Email == "" && s.Mobile == "" && s.OnBehalfOf == ""
}

type newJobView struct {
	Nav  navView
	Form jobForm
	// The document rows (a file and its title each), shown and behind
	// "more documents" as the signer rows are.
	Docs, MoreDocs []docRow
	MoreDocsOpen   bool
	Types          []job.SignatureType // those the organisation may use
	Errors         []portalError
	// The signer rows: the first few, and the rest behind "more signers"
	// (open when any of them is filled in), so the form works without
	// scripts.
	Rows, More   []signerRow
	MoreOpen     bool
	MaxDocuments int
	MaxSize      int64
	Today        string // the earliest expiry date, yyyy-mm-dd
	Latest       time.Time
	DefaultDays  int
}

// Error is the message about the form's input id, or "".
func (v newJobView) Error(id string) string { return firstError(v.Errors, id) }

// DocData is what the template of one document row needs: the row and
// the view whose messages it shows.
func (v newJobView) DocData(d docRow) struct {
	View newJobView
	Row  docRow
} {
	return struct {
		View newJobView
		Row  docRow
	}{v, d}
}

// shownSigners is how many signer rows the form shows before "more".
const shownSigners = 2

// shownDocuments is how many document rows the form shows before "more".
const shownDocuments = 2

// docRow is one document row of the form: a file input and a title
// input, named document-N-file and document-N-title (an empty file input
// reaches the server as a plain field, not a file, so rows cannot be
// told apart by order alone). The first row's file input has the id
// "documents", which messages about the documents as a whole point to.
type docRow struct {
	N     int // from 1
	Title string
	Error string // about this row's title
}

// FileName is the name of the row's file input, FileID its id.
func (d docRow) FileName() string { return fmt.Sprintf("document-%d-file", d.N) }

func (d docRow) FileID() string {
	if d.N == 1 {
		return "documents"
	}
	return d.FileName()
}

// TitleID is the id and name of the row's title input.
func (d docRow) TitleID() string { return fmt.Sprintf("document-%d-title", d.N) }

// portalNewJob shows the form for a new job.
func (w *Web) portalNewJob(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	f := jobForm{Assurance: string(job.Substantial), Order: "parallel"}
	if types := a.org.SignatureTypes; len(types) > 0 {
		f.SignatureType = string(types[0])
		if a.org.Allows(job.Authenticated) {
			f.SignatureType = string(job.Authenticated)
		}
	}
	w.renderNewJob(rw, r, a, http.StatusOK, f, nil)
	return nil
}

func (w *Web) renderNewJob(rw http.ResponseWriter, r *http.Request, a access, status int, f jobForm, problems []portalError) {
	atPage(r, "/portal/jobs/new")
	lim := w.staff.Svc.Limits
	now := w.clock.Now().In(oslo)
	v := newJobView{Nav: a.nav(), Form: f, Types: a.org.SignatureTypes, Errors: problems,
		MaxDocuments: lim.MaxDocuments, MaxSize: lim.MaxDocumentBytes, Today: now.Format(time.DateOnly),
		Latest: latestExpiry(now, lim), DefaultDays: int(lim.DefaultExpiry.Hours() / 24)}
	rows := make([]signerRow, lim.MaxSigners)
	for i := range rows {
		rows[i] = signerRow{N: i + 1, errors: problems}
		if i < len(f.Signers) {
			rows[i] = f.Signers[i]
			rows[i].errors = problems
		}
	}
	v.Rows, v.More = rows[:min(shownSigners, len(rows))], rows[min(shownSigners, len(rows)):]
	docs := make([]docRow, lim.MaxDocuments)
	for i := range docs {
		docs[i] = docRow{N: i + 1}
		if i < len(f.DocTitles) {
			docs[i].Title = f.DocTitles[i]
		}
		docs[i].Error = firstError(problems, docs[i].TitleID())
	}
	v.Docs, v.MoreDocs = docs[:min(shownDocuments, len(docs))], docs[min(shownDocuments, len(docs)):]
	for _, d := range v.MoreDocs {
		v.MoreDocsOpen = v.MoreDocsOpen || d.Title != "" || d.Error != ""
	}
	for _, s := range v.More {
		v.MoreOpen = v.MoreOpen || !s.empty() || s.Error("pid")+s.Error("email")+s.Error("mobile")+s.Error("org") != ""
	}
	w.render(rw, r, status, "portal_new", v)
}

// latestExpiry is the last day a job made now may run to: its end (23:59
// Norwegian time) must lie within the longest expiry.
func latestExpiry(now time.Time, lim job.Limits) time.Time {
	last := now.Add(lim.MaxExpiry).In(oslo)
	if endOfDay(last).After(now.Add(lim.MaxExpiry)) {
		last = last.AddDate(0, 0, -1)
	}
	return last
}

// endOfDay is 23:59 Norwegian time on t's date: a job "until 3 March"
// can be signed all that day.
func endOfDay(t time.Time) time.Time {
	t = t.In(oslo)
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 0, 0, oslo)
}

// portalCreateJob creates a job from the form. The form is
// multipart/form-data, whose csrf_token field the CSRF check (csrf.go) has
// found by parsing the body before this handler runs, so the token is
// verified like any form's before anything is stored; the files wait in
// temporary files, never in memory, until they are staged for the job.
// Everything that needs no I/O is checked before a file is staged; a job
// is created, and its files stored, only when all of it is right, else the
// form comes back (422) with the errors next to their fields.
func (w *Web) portalCreateJob(rw http.ResponseWriter, r *http.Request) error {
	if r.MultipartForm != nil {
		// net/http removes the temporary files of the request it parsed
		// itself, not those of the copy the middleware parsed.
		defer r.MultipartForm.RemoveAll()
	}
	ctx, lang := r.Context(), Lang(r)
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	lim := w.staff.Svc.Limits
	f := readJobForm(r.PostForm, lim.MaxSigners, lim.MaxDocuments)
	docs := formDocuments(r, f.DocTitles)
	req, rows, dateErr := f.request()
	files := make([]*multipart.FileHeader, len(docs))
	for i, d := range docs {
		files[i] = d.file
		req.Documents = append(req.Documents, job.DocumentRequest{Title: d.title(f.Title, len(docs)), File: partName(i)})
	}
	problems, _ := w.jobErrors(lang, req.Validate(w.clock.Now(), lim), rows, docs)
	if dateErr {
		problems = append(problems, w.expiryError(lang))
	}
	if len(problems) > 0 {
		w.renderNewJob(rw, r, a, http.StatusUnprocessableEntity, f, problems)
		return nil
	}
	j, err := w.createJob(ctx, a.caller, req, files)
	if problems, ok := w.jobErrors(lang, err, rows, docs); ok {
		w.renderNewJob(rw, r, a, http.StatusUnprocessableEntity, f, problems)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, portalPath(j.ID), http.StatusSeeOther)
	return nil
}

// createJob stages the chosen files, as the API does with its parts, and
// creates the job with them; the staged files are gone when it returns.
func (w *Web) createJob(ctx context.Context, c ceremony.Caller, req *job.Request, files []*multipart.FileHeader) (*job.Job, error) {
	var uploads []ceremony.Upload
	defer func() { ceremony.ReleaseUploads(uploads) }()
	for i, fh := range files {
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("web: open upload: %w", err)
		}
		u, err := w.staff.Svc.StageDocument(ctx, partName(i), fh.Filename, fh.Header.Get("Content-Type"), f)
		f.Close()
		if err != nil {
			return nil, err
		}
		uploads = append(uploads, u)
	}
	return w.staff.Svc.CreateJob(ctx, c, req, uploads, "")
}

func readJobForm(v url.Values, rows, docRows int) jobForm {
	f := jobForm{Title: strings.TrimSpace(v.Get("title")), Description: strings.TrimSpace(textArea(v.Get("description"))),
		Reference: strings.TrimSpace(v.Get("reference")), SignatureType: v.Get("signature_type"),
		Assurance: v.Get("level_of_assurance"), Expires: strings.TrimSpace(v.Get("expires")), Order: v.Get("order")}
	for n := 1; n <= rows; n++ {
		s := signerRow{N: n}
		s.PID, s.Email = compact(v.Get(s.ID("pid"))), strings.TrimSpace(v.Get(s.ID("email")))
		s.Mobile, s.OnBehalfOf = strings.TrimSpace(v.Get(s.ID("mobile"))), compact(v.Get(s.ID("org")))
		f.Signers = append(f.Signers, s)
	}
	for n := 1; n <= docRows; n++ {
		f.DocTitles = append(f.DocTitles, strings.TrimSpace(v.Get(docRow{N: n}.TitleID())))
	}
	return f
}

// textArea is a text area's value with its line breaks as typed: a
// browser sends each as CR LF (HTML, "constructing the entry list"),
// and a job's text holds no CR.
func textArea(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// compact drops the spaces people type in numbers ("219098 25250").
func compact(s string) string { return strings.Join(strings.Fields(s), "") }

// request is the job the form asks for, always in the portal flow.
// rows[i] is the form row of signer i (empty rows are left out); dateErr
// reports an expiry date that is not a date.
func (f jobForm) request() (req *job.Request, rows []int, dateErr bool) {
	req = &job.Request{Title: f.Title, Description: f.Description, Reference: f.Reference, Flow: job.Portal,
		SignatureType: job.SignatureType(f.SignatureType), LevelOfAssurance: job.Assurance(f.Assurance)}
	if f.Expires != "" {
		day, err := time.ParseInLocation(time.DateOnly, f.Expires, oslo)
		if err != nil {
			dateErr = true
		} else {
			end := endOfDay(day)
			req.ExpiresAt = &end
		}
	}
	for _, s := range f.Signers {
		if s.empty() {
			continue
		}
		order := 1 // all at once
		if f.Order == "sequential" {
			order = len(req.Signers) + 1
		}
		req.Signers = append(req.Signers, job.SignerRequest{PID: s.PID, Email: s.Email, Mobile: e164(s.Mobile),
			OnBehalfOf: s.OnBehalfOf, Order: order})
		rows = append(rows, s.N)
	}
	return req, rows, dateErr
}

// e164 writes a Norwegian mobile number as people type it ("912 34 567")
// in the international form a job holds; anything else is left for the
// validation to judge.
func e164(s string) string {
	s = compact(s)
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		return "+47" + s
	}
	return s
}

// formDoc is one document chosen in the form: the file, the title the
// sender gave it ("" for none) and the row it was chosen in.
type formDoc struct {
	file  *multipart.FileHeader
	given string
	row   int // from 1
}

// formDocuments are the documents chosen in the form, each with the title
// of its row (titles[n] is row n+1's), then those sent as "documents"
// parts by a client that does not use rows, to be titled by default.
func formDocuments(r *http.Request, titles []string) []formDoc {
	if r.MultipartForm == nil {
		return nil
	}
	var out []formDoc
	for i, title := range titles {
		row := docRow{N: i + 1}
		for _, fh := range r.MultipartForm.File[row.FileName()] {
			out = append(out, formDoc{file: fh, given: title, row: row.N})
		}
	}
	for _, fh := range r.MultipartForm.File["documents"] {
		out = append(out, formDoc{file: fh, row: 1})
	}
	return out
}

// title is the document's title as the signer reads it ("Read «…»"):
// the one the sender gave; else, for the one document of a job, the
// job's title, which says what it is better than a file name
// ("scan_0042.pdf"); else the file name as a title (fileTitle).
func (d formDoc) title(jobTitle string, count int) string {
	switch {
	case d.given != "":
		return d.given
	case count == 1 && jobTitle != "":
		return jobTitle
	}
	return fileTitle(d.file.Filename)
}

// partName names document i the way the job request refers to it.
func partName(i int) string { return "doc" + strconv.Itoa(i+1) }

// fileTitle makes a title of a file name: without its extension, with
// the underscores and hyphens that stand for spaces in file names as
// spaces, and an upper-case first letter: arbeids_avtale-2026.pdf →
// "Arbeids avtale 2026".
func fileTitle(name string) string {
	t := strings.TrimSuffix(name, path.Ext(name))
	t = strings.Join(strings.Fields(strings.NewReplacer("_", " ", "-", " ").Replace(t)), " ")
	if t == "" {
		return name
	}
	r, size := utf8.DecodeRuneInString(t)
	return string(unicode.ToUpper(r)) + t[size:]
}

var (
	signerFieldRE = regexp.MustCompile(`^signers\[(\d+)\](?:\.([a-z_]+))?$`)
	docFieldRE    = regexp.MustCompile(`^(?:documents\[(\d+)\]|doc(\d+))(?:\.([a-z_]+))?$`)
)

// signerInputs maps the request's signer fields to the row's inputs.
var signerInputs = map[string]string{"": "pid", "pid": "pid", "order": "pid", "email": "email", "mobile": "mobile", "on_behalf_of": "org"}

// jobErrors turns the refusal of a job request into messages next to the
// form's inputs, in lang. rows[i] is the form row of signer i, docs[i]
// document i. ok is false (and err is returned as it is) when err is not
// about the input.
func (w *Web) jobErrors(lang string, err error, rows []int, docs []formDoc) (list []portalError, ok bool) {
	var e *errs.Error
	if !errors.As(err, &e) || (e.Kind != errs.Invalid && e.Kind != errs.TooLarge) {
		return nil, false
	}
	details := e.Details
	if len(details) == 0 {
		details = []*errs.Error{e}
	}
	for _, d := range details {
		list = append(list, w.jobError(lang, d, rows, docs))
	}
	return list, true
}

// jobError is the message for one refused field: the most specific text
// the catalogue has for it, by field and code, else a general one.
func (w *Web) jobError(lang string, e *errs.Error, rows []int, docs []formDoc) portalError {
	const p = "portal.new.error."
	lim := w.staff.Svc.Limits
	if m := signerFieldRE.FindStringSubmatch(e.Field); m != nil {
		i, _ := strconv.Atoi(m[1])
		row := signerRow{N: i + 1}
		if i < len(rows) {
			row.N = rows[i]
		}
		return portalError{row.ID(signerInputs[m[2]]), w.T(lang, w.firstKey(p+"signer."+e.Code, p+"signer.invalid"), row.N)}
	}
	if m := docFieldRE.FindStringSubmatch(e.Field); m != nil {
		i, _ := strconv.Atoi(m[1] + m[2])
		if m[2] != "" {
			i-- // part names count from 1
		}
		name, row := "", docRow{N: 1}
		if i >= 0 && i < len(docs) {
			name, row.N = docs[i].file.Filename, docs[i].row
		}
		if m[3] == "title" {
			return portalError{row.TitleID(), w.T(lang, w.firstKey(p+"document-title."+e.Code, p+"document-title.invalid"), row.N)}
		}
		if e.Code == errs.CodeDocumentTooLarge {
			return portalError{"documents", w.T(lang, p+"document.too-large", name, w.FormatSize(lang, lim.MaxDocumentBytes))}
		}
		return portalError{"documents", w.T(lang, w.firstKey(p+"document."+e.Code, p+"document.invalid"), name)}
	}
	switch {
	case e.Field == "documents" && e.Code == job.CodeTooManyDocuments:
		return portalError{"documents", w.T(lang, p+"documents.too-many", lim.MaxDocuments)}
	case e.Field == "documents":
		return portalError{"documents", w.T(lang, p+"documents.missing")}
	case e.Field == "signers" && e.Code == job.CodeTooManySigners:
		return portalError{"signer-1-pid", w.T(lang, p+"signers.too-many", lim.MaxSigners)}
	case e.Field == "signers":
		return portalError{"signer-1-pid", w.T(lang, p+"signers.missing")}
	}
	switch e.Field {
	case "expires_at":
		return w.expiryError(lang)
	case "title", "description", "reference", "signature_type", "level_of_assurance":
		return portalError{e.Field, w.T(lang, w.firstKey(p+e.Field+"."+e.Code, p+e.Code, p+"invalid"))}
	}
	return portalError{"", w.T(lang, p+"invalid")}
}

// expiryError says which deadlines a job made now may have.
func (w *Web) expiryError(lang string) portalError {
	latest := latestExpiry(w.clock.Now(), w.staff.Svc.Limits)
	return portalError{"expires", w.T(lang, "portal.new.error.invalid-expiry", w.FormatDate(lang, latest))}
}

// firstKey is the first of keys the catalogue has (the last if none).
func (w *Web) firstKey(keys ...string) string {
	for _, k := range keys {
		if _, ok := w.catalogues[Bokmal][k]; ok {
			return k
		}
	}
	return keys[len(keys)-1]
}

// --- one job ---

type portalJobView struct {
	Nav        navView
	Job        *job.Job
	Creator    string // for an administrator
	Sequential bool
	Combined   bool // the signers sign the job's combined document, not its originals
	Docs       []portalDoc
	Signers    []portalSigner
	CanCancel  bool
	CanDelete  bool // finished and not deleted yet: the sender may delete it before DeleteAfter
}

type portalDoc struct {
	job.Document
	URL, SignedURL string // SignedURL once somebody has signed
}

type portalSigner struct {
	job.Signer
	Position    int
	NoticeKey   string // catalogue key: how the signer was told, or why not
	EvidenceURL string // once they have signed
}

// notices are the Notice values of job.Signer the page can explain.
var notices = []string{"email", "sms", "email+sms", "reserved", "no-contact", "inactive"}

// portalJob shows one of the caller's jobs: its documents to download,
// its signers with how far they are, and the way to cancel it.
func (w *Web) portalJob(rw http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	j, err := w.staff.Svc.Job(ctx, a.caller, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := portalJobView{Nav: a.nav(), Job: j, Sequential: j.Sequential(), CanCancel: j.Status.Allows(job.Cancel),
		CanDelete: j.Status.Final() && !j.Deleted()}
	if a.admin() {
		creators, err := w.creators(ctx, a)
		if err != nil {
			return err
		}
		v.Creator = creators(Lang(r), j.Creator)
	}
	v.Combined = j.Combined() != nil
	for _, d := range j.Documents {
		pd := portalDoc{Document: d, URL: portalPath(j.ID, "documents", d.ID)}
		if d.Signed.SHA256 != "" {
			pd.SignedURL = portalPath(j.ID, "documents", d.ID, "signed")
		}
		v.Docs = append(v.Docs, pd)
	}
	for i, s := range j.Signers {
		ps := portalSigner{Signer: s, Position: i + 1, NoticeKey: "portal.notice.other"}
		switch {
		case s.Notice == "":
			ps.NoticeKey = "portal.notice.none"
		case slices.Contains(notices, s.Notice):
			ps.NoticeKey = "portal.notice." + s.Notice
		}
		if s.Evidence != "" {
			ps.EvidenceURL = portalPath(j.ID, "signers", s.ID, "evidence")
		}
		v.Signers = append(v.Signers, ps)
	}
	w.Render(rw, r, "portal_job", v)
	return nil
}

// portalCancel ends a job for every signer.
func (w *Web) portalCancel(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	atPage(r, portalPath(id))
	if _, err := w.staff.Svc.Cancel(r.Context(), a.caller, id); err != nil {
		return err
	}
	http.Redirect(rw, r, portalPath(id), http.StatusSeeOther)
	return nil
}

// portalDelete deletes a finished job's documents, evidence and signers'
// personal data before its retention ends (MISSION L1).
func (w *Web) portalDelete(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	atPage(r, portalPath(id))
	if _, err := w.staff.Svc.DeleteJob(r.Context(), a.caller, id); err != nil {
		return err
	}
	http.Redirect(rw, r, portalPath(id), http.StatusSeeOther)
	return nil
}

// portalDocument downloads a document as it was uploaded.
func (w *Web) portalDocument(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	d, o, err := w.staff.Svc.Document(r.Context(), a.caller, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		return err
	}
	defer o.Close()
	mediaType := d.MediaType
	if mediaType == ceremony.MediaText {
		mediaType += "; charset=utf-8"
	}
	serveDocument(rw, r, mediaType, "attachment", d.FileName, o)
	return nil
}

// portalSignedDocument downloads the newest signed revision: PAdES B-LTA
// once the job is completed.
func (w *Web) portalSignedDocument(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	d, o, err := w.staff.Svc.SignedDocument(r.Context(), a.caller, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		return err
	}
	defer o.Close()
	serveDocument(rw, r, ceremony.MediaPDF, "attachment", d.SignedFileName(), o)
	return nil
}

// portalEvidence downloads a signer's XAdES evidence.
func (w *Web) portalEvidence(rw http.ResponseWriter, r *http.Request) error {
	a, err := w.portalAccess(rw, r)
	if err != nil {
		return err
	}
	signer := r.PathValue("signer")
	o, err := w.staff.Svc.Evidence(r.Context(), a.caller, r.PathValue("id"), signer)
	if err != nil {
		return err
	}
	defer o.Close()
	serveDocument(rw, r, "application/xml", "attachment", "evidence-"+signer+".xml", o)
	return nil
}
