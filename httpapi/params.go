package httpapi

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
)

// requestParams are the parameters of one API request, merged from the query string and the body
// (multipart, url-encoded — also when sent with no Content-Type, as cloudinary-go does — or JSON),
// the body winning. Names are kept exactly as sent ("tags[]", "public_ids[0]") because upload
// signatures are computed over the values as the client serialised them.
type requestParams struct {
	raw  url.Values
	file *spooledFile // a multipart file part, written to a temp file while it arrived
}

// spooledFile is an uploaded file part in a temp file of the data directory.
type spooledFile struct {
	path     string
	filename string
	size     int64
}

// maxFieldBytes caps one non-file form value; only a data URI in `file` may be larger.
const maxFieldBytes = 1 << 20

// paramLimits bound what reading a request may take in.
type paramLimits struct {
	maxFileBytes int64                    // the largest file an upload may carry
	createTemp   func() (*os.File, error) // where file parts are spooled
}

// readParams reads the request's parameters. A file part is streamed to a temp file and refused
// as soon as it passes the size limit, never buffered in memory; the caller must call cleanup.
func readParams(r *http.Request, w http.ResponseWriter, lim paramLimits) (*requestParams, error) {
	p := &requestParams{raw: url.Values{}}
	for k, v := range r.URL.Query() {
		p.raw[k] = v
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Body == nil || r.Body == http.NoBody {
		return p, nil
	}
	// A data URI is base64 (4/3 of the file) and every other field is small.
	bodyCap := lim.maxFileBytes*4/3 + 8*maxFieldBytes
	if r.ContentLength > bodyCap {
		return p, fileTooLarge(r.ContentLength, lim.maxFileBytes)
	}
	body := http.MaxBytesReader(w, r.Body, bodyCap)
	mediaType, mtParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mediaType {
	case "multipart/form-data":
		err = p.readMultipart(multipart.NewReader(body, mtParams["boundary"]), lim)
	case "application/json":
		err = p.readJSON(body)
	default: // application/x-www-form-urlencoded, or no Content-Type at all
		err = p.readForm(body)
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return p, fileTooLarge(r.ContentLength, lim.maxFileBytes)
	}
	return p, err
}

func fileTooLarge(got, max int64) *apiError {
	if got <= 0 {
		return badRequest("File size too large. Maximum is %d.", max)
	}
	return badRequest("File size too large. Got %d. Maximum is %d.", got, max)
}

func (p *requestParams) readForm(body io.Reader) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return badRequest("Invalid form body: %v", err)
	}
	for k, v := range form {
		p.raw[k] = v
	}
	return nil
}

func (p *requestParams) readJSON(body io.Reader) error {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return badRequest("Invalid JSON body: %v", err)
	}
	for k, v := range doc {
		if arr, ok := v.([]any); ok {
			delete(p.raw, k)
			for _, item := range arr {
				p.raw.Add(k+"[]", jsonScalar(item))
			}
			continue
		}
		p.raw[k] = []string{jsonScalar(v)}
	}
	return nil
}

// jsonScalar writes a JSON value the way a form would have carried it.
func jsonScalar(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return t.String()
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// readMultipart reads the parts in order. A refused part is left unread, never drained (as
// Part.Close would), so an oversized body stops being read as soon as it is refused.
func (p *requestParams) readMultipart(mr *multipart.Reader, lim paramLimits) error {
	form := url.Values{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return err
			}
			return badRequest("Invalid multipart body: %v", err)
		}
		name := part.FormName()
		switch {
		case name == "":
		case part.FileName() != "" && name == "file":
			if err := p.spool(part, part.FileName(), lim); err != nil {
				return err
			}
		default:
			value := bufio.NewReader(part)
			if head, _ := value.Peek(len("data:")); name == "file" && string(head) == "data:" && lim.createTemp != nil {
				// A data URI is decoded to disk as it arrives, like a file part.
				if err := p.spoolDataURI(value, lim); err != nil {
					return err
				}
				break
			}
			var buf bytes.Buffer
			n, err := io.Copy(&buf, io.LimitReader(value, maxFieldBytes+1))
			if err != nil {
				return badRequest("Invalid multipart body: %v", err)
			}
			if n > maxFieldBytes {
				return badRequest("Parameter %s is too long", name)
			}
			form.Add(name, buf.String())
		}
		part.Close()
	}
	for k, v := range form {
		p.raw[k] = v
	}
	return nil
}

// spoolDataURI decodes a data URI field into a temp file, as spool does with a file part.
func (p *requestParams) spoolDataURI(uri *bufio.Reader, lim paramLimits) error {
	data, err := dataURIContent(uri)
	if err != nil {
		return err
	}
	return p.spool(data, "", lim)
}

// spool writes a file to a temp file as it arrives, refusing it once it passes the size limit.
func (p *requestParams) spool(file io.Reader, filename string, lim paramLimits) error {
	if p.file != nil {
		return badRequest("Only one file may be uploaded per request")
	}
	if lim.createTemp == nil {
		return badRequest("This call takes no file")
	}
	f, err := lim.createTemp()
	if err != nil {
		return err
	}
	p.file = &spooledFile{path: f.Name(), filename: filename}
	n, err := io.Copy(diskWriter{f}, io.LimitReader(file, lim.maxFileBytes+1))
	closeErr := f.Close()
	if failure := localWriteFailure(err); failure != nil {
		return failure
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		var badBase64 base64.CorruptInputError
		switch {
		case errors.As(err, &tooBig):
			return err
		case errors.As(err, &badBase64):
			return badRequest("Invalid data URI - %v", err)
		}
		return badRequest("Invalid multipart body: %v", err)
	}
	if closeErr != nil {
		return fmt.Errorf("write upload: %w", closeErr)
	}
	if n > lim.maxFileBytes {
		return fileTooLarge(0, lim.maxFileBytes)
	}
	p.file.size = n
	return nil
}

// cleanup removes the spooled file if nothing took it over.
func (p *requestParams) cleanup() {
	if p.file != nil {
		os.Remove(p.file.path)
	}
}

// get is the parameter's value ("" when absent).
func (p *requestParams) get(name string) string { return p.raw.Get(name) }

// has says whether the parameter was sent (with any value, even empty).
func (p *requestParams) has(name string) bool {
	_, ok := p.raw[name]
	return ok || len(p.list(name)) > 0
}

// list is every value of an array parameter, however the client wrote it: name[] repeated,
// name[0], name[1]... (in index order), or name repeated.
func (p *requestParams) list(name string) []string {
	out := append([]string(nil), p.raw[name+"[]"]...)
	type indexed struct {
		i int
		v []string
	}
	var byIndex []indexed
	for k, v := range p.raw {
		if i, ok := arrayIndex(k, name); ok {
			byIndex = append(byIndex, indexed{i, v})
		}
	}
	sort.Slice(byIndex, func(a, b int) bool { return byIndex[a].i < byIndex[b].i })
	for _, e := range byIndex {
		out = append(out, e.v...)
	}
	return append(out, p.raw[name]...)
}

// arrayIndex parses "name[12]" as 12.
func arrayIndex(key, name string) (int, bool) {
	if !strings.HasPrefix(key, name+"[") || !strings.HasSuffix(key, "]") {
		return 0, false
	}
	i, err := strconv.Atoi(key[len(name)+1 : len(key)-1])
	return i, err == nil
}

// items is an array parameter whose values may also arrive comma-joined (tags, public_ids...).
func (p *requestParams) items(name string) []string {
	var out []string
	for _, v := range p.list(name) {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// boolean reads a Cloudinary boolean: true/1 or false/0; absent or empty is def.
func (p *requestParams) boolean(name string, def bool) (bool, error) {
	switch strings.ToLower(p.get(name)) {
	case "":
		return def, nil
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, badRequest("Invalid boolean value for %s: %s", name, p.get(name))
}
