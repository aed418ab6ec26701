package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
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
	if problems := checkDocument(&root); len(problems) > 0 {
		return nil, newValidationError(source, problems)
	}

	c := Default()
	c.meta = &meta{source: source, root: &root, departmentOrder: departmentOrder(&root)}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		// checkDocument should have found it; this keeps the line anyway.
		return nil, newValidationError(source, yamlProblems(err))
	}

	v := &validator{root: &root}
	baseDir := "."
	if source != "" {
		baseDir = filepath.Dir(source)
	}
	c.resolveSecrets(baseDir, v)
	c.resolveOIDCSecret(baseDir, v)
	c.resolveEntraCertificate(baseDir, v)
	c.validate(v)
	if check != nil {
		for _, p := range check(c) {
			if p.Line == 0 {
				p.Line = lineOf(&root, p.Path)
			}
			v.problems = append(v.problems, p)
		}
	}
	if err := v.err(source); err != nil {
		return nil, err
	}
	return c, nil
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
