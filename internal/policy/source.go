package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// paramsFile is the name of a policy set's params defaults, at the root of the set.
const paramsFile = "params.json"

// file is one file of a policy set.
type file struct {
	rel  string // slash-separated path inside the set; used for the digest
	name string // path shown in errors: the real path for a directory, rel for an fs.FS
	data []byte
}

// isTest reports whether the file holds Rego tests (skipped for evaluation).
func (f file) isTest() bool { return strings.HasSuffix(f.rel, "_test.rego") }

// source is a policy set as read from a directory or an fs.FS.
type source struct {
	rego   []file // every *.rego file, tests included, sorted by rel
	params *file  // params.json, nil when absent
}

// policies returns the Rego files that are not tests.
func (s source) policies() []file {
	var out []file
	for _, f := range s.rego {
		if !f.isTest() {
			out = append(out, f)
		}
	}
	return out
}

// readSource reads a policy set: dir when set, otherwise fsys. Rego files are found
// recursively; params.json only at the root. Hidden files and directories are skipped.
func readSource(dir string, fsys fs.FS) (source, error) {
	name := func(rel string) string { return rel }
	if dir != "" {
		fsys = os.DirFS(dir)
		name = func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
	}
	if fsys == nil {
		return source{}, ErrNoPolicies
	}
	var src source
	err := fs.WalkDir(fsys, ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		isRego := path.Ext(rel) == ".rego"
		if !isRego && rel != paramsFile {
			return nil
		}
		data, err := fs.ReadFile(fsys, rel)
		if err != nil {
			return err
		}
		f := file{rel: rel, name: name(rel), data: data}
		if isRego {
			src.rego = append(src.rego, f)
		} else {
			src.params = &f
		}
		return nil
	})
	if err != nil {
		if dir != "" {
			return source{}, fmt.Errorf("read policies from %s: %w", dir, err)
		}
		return source{}, fmt.Errorf("read policies: %w", err)
	}
	sort.Slice(src.rego, func(i, j int) bool { return src.rego[i].rel < src.rego[j].rel })
	return src, nil
}

// digest is "sha256:" and the hex SHA-256 over the policy files (tests excluded) and
// params.json, sorted by name; each file contributes its name and contents, length-prefixed.
func (s source) digest() string {
	files := s.policies()
	if s.params != nil {
		files = append(files, *s.params)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	h := sha256.New()
	var n [8]byte
	for _, f := range files {
		for _, b := range [][]byte{[]byte(f.rel), f.data} {
			binary.BigEndian.PutUint64(n[:], uint64(len(b)))
			h.Write(n[:])
			h.Write(b)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// defaultParams decodes params.json (an object); no file means no defaults.
func (s source) defaultParams() (map[string]any, error) {
	if s.params == nil {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(s.params.data))
	dec.UseNumber()
	var params map[string]any
	if err := dec.Decode(&params); err != nil {
		return nil, fmt.Errorf("decode %s: %w", s.params.name, err)
	}
	if params == nil {
		params = map[string]any{}
	}
	return params, nil
}
