package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the file at path and parses it with the process environment.
// *_file paths in it are relative to the file's directory.
func Load(path string) (*Config, error) {
	return LoadChecked(path, nil)
}

// A Check finds the problems of a configuration that need more than this
// package knows (cron specs, playbooks against this build's connectors).
// It runs after validation, also when validation found problems, so that
// every problem is reported at once; each problem without a line gets the
// line of its path.
type Check func(*Config) []Problem

// LoadChecked is Load with check's problems reported with the others.
func LoadChecked(path string, check Check) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseChecked(data, path, os.LookupEnv, check)
}

// Parse turns the text of a configuration file into a validated Config.
// source names the file in messages, and its directory is where relative
// *_file paths are found. lookupEnv resolves ${NAME} (nil: no variables).
//
// Every problem found is returned together in a *ValidationError. The
// stages stop each other: a missing variable stops before decoding, a
// syntax error or an unknown key stops before validation.
func Parse(data []byte, source string, lookupEnv func(string) (string, bool)) (*Config, error) {
	return ParseChecked(data, source, lookupEnv, nil)
}

// ParseChecked is Parse with check's problems reported with the others.
func ParseChecked(data []byte, source string, lookupEnv func(string) (string, bool), check Check) (*Config, error) {
	expanded, problems := expandEnv(data, lookupEnv)
	if len(problems) > 0 {
		return nil, newValidationError(source, problems)
	}

	var root yaml.Node
	if err := yaml.Unmarshal(expanded, &root); err != nil {
		return nil, newValidationError(source, yamlProblems(err))
	}
	// The document's own problems (unknown keys, values of the wrong
	// type) do not stop validation: the rest of the file is checked too,
	// so that problems do not come in rounds. Only its sections that are
	// whole are: a section with a misspelt key would add noise.
	docProblems := checkDocument(&root)

	c := Default()
	c.meta = &meta{source: source, root: &root, departmentOrder: departmentOrder(&root)}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(len(docProblems) == 0)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		_, partial := errors.AsType[*yaml.TypeError](err)
		switch {
		case len(docProblems) == 0:
			// checkDocument should have found it; this keeps the line anyway.
			return nil, newValidationError(source, yamlProblems(err))
		case !partial:
			return nil, newValidationError(source, docProblems)
		}
	}

	v := &validator{root: &root}
	baseDir := "."
	if source != "" {
		baseDir = filepath.Dir(source)
	}
	c.resolveSecrets(baseDir, v)
	c.resolveOIDCSecret(baseDir, v)
	c.resolveEntraCertificate(baseDir, v)
	c.resolveEtcdTLS(baseDir, v)
	c.validate(v)
	if check != nil {
		// A section validation found wrong is not reported twice.
		found := slices.Clone(v.problems)
		for _, p := range outsideSections(check(c), found) {
			if p.Line == 0 {
				p.Line = lineOf(&root, p.Path)
			}
			v.problems = append(v.problems, p)
		}
	}
	if len(docProblems) > 0 {
		return nil, newValidationError(source, append(docProblems, outsideSections(v.problems, docProblems)...))
	}
	if err := v.err(source); err != nil {
		return nil, err
	}
	return c, nil
}

// outsideSections keeps the problems whose top-level section has none of
// the problems found before.
func outsideSections(problems, before []Problem) []Problem {
	broken := map[string]bool{}
	for _, p := range before {
		broken[section(p.Path)] = true
	}
	var out []Problem
	for _, p := range problems {
		if !broken[section(p.Path)] {
			out = append(out, p)
		}
	}
	return out
}

// section is the top-level key of a dotted path.
func section(path string) string {
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

var (
	yamlLineRE       = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlNotFoundRE   = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	yamlDuplicateRE  = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	yamlAlreadySetRE = regexp.MustCompile(`^field (\S+) already set in type \S+$`)
)

// yamlProblems turns an error of the yaml library into problems that keep
// its line numbers but drop its Go type names.
func yamlProblems(err error) []Problem {
	var msgs []string
	if te, ok := errors.AsType[*yaml.TypeError](err); ok {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	problems := make([]Problem, 0, len(msgs))
	for _, m := range msgs {
		p := Problem{Message: m}
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Message = sm[2]
		}
		switch {
		case yamlNotFoundRE.MatchString(p.Message):
			p.Message = fmt.Sprintf("unknown key %q", yamlNotFoundRE.FindStringSubmatch(p.Message)[1])
		case yamlDuplicateRE.MatchString(p.Message):
			sm := yamlDuplicateRE.FindStringSubmatch(p.Message)
			p.Message = fmt.Sprintf("key %q is set twice (first at line %s)", sm[1], sm[2])
		case yamlAlreadySetRE.MatchString(p.Message):
			p.Message = fmt.Sprintf("key %q is set twice", yamlAlreadySetRE.FindStringSubmatch(p.Message)[1])
		}
		problems = append(problems, p)
	}
	return problems
}
