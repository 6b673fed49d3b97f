// Command gotemplate executes a Go template as the Posit Job Launcher's Kubernetes plugin does: Go's
// text/template with the sprig functions (without env and expandenv) and the functions Helm adds (toYaml,
// fromYaml, toJson, fromJson, toToml, include, tpl, required, lookup).
//
//	gotemplate MAIN [OTHER...] < data.json
//
// MAIN and every OTHER file are parsed into one template set, so MAIN can `include` what the others `define`
// (the launcher parses the files of its templates directory together). The JSON document on stdin is the data
// (the launcher passes {"Job": {...}}); the output of MAIN goes to stdout. Any parse or execution error is
// printed to stderr and the exit code is 1.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// includeDepthLimit stops a template that includes itself without end.
const includeDepthLimit = 1000

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gotemplate:", err)
		os.Exit(1)
	}
}

func run(paths []string, input io.Reader, output io.Writer) error {
	if len(paths) == 0 {
		return errors.New("usage: gotemplate MAIN [OTHER...] < data.json")
	}
	var data any
	decoder := json.NewDecoder(input)
	if err := decoder.Decode(&data); err != nil {
		return fmt.Errorf("reading the data from stdin: %w", err)
	}
	set, err := parseAll(paths)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := set.ExecuteTemplate(&out, filepath.Base(paths[0]), data); err != nil {
		return err
	}
	_, err = output.Write(out.Bytes())
	return err
}

func parseAll(paths []string) (*template.Template, error) {
	set := template.New(filepath.Base(paths[0]))
	set.Funcs(functions(set))
	for _, path := range paths {
		text, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if _, err := set.New(filepath.Base(path)).Parse(string(text)); err != nil {
			return nil, err
		}
	}
	return set, nil
}

func functions(set *template.Template) template.FuncMap {
	funcs := sprig.TxtFuncMap()
	// The launcher leaves out sprig's access to its own environment.
	delete(funcs, "env")
	delete(funcs, "expandenv")

	depth := map[string]int{}
	funcs["include"] = func(name string, data any) (string, error) {
		if depth[name] >= includeDepthLimit {
			return "", fmt.Errorf("include %q: nested more than %d times", name, includeDepthLimit)
		}
		depth[name]++
		defer func() { depth[name]-- }()
		var out strings.Builder
		err := set.ExecuteTemplate(&out, name, data)
		return out.String(), err
	}
	funcs["tpl"] = func(text string, data any) (string, error) {
		clone, err := set.Clone()
		if err != nil {
			return "", err
		}
		parsed, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var out strings.Builder
		err = parsed.Execute(&out, data)
		return out.String(), err
	}
	funcs["required"] = func(message string, value any) (any, error) {
		if value == nil {
			return nil, errors.New(message)
		}
		if text, ok := value.(string); ok && text == "" {
			return nil, errors.New(message)
		}
		return value, nil
	}
	// There is no cluster to look objects up in: every lookup finds nothing, as Helm's does offline.
	funcs["lookup"] = func(string, string, string, string) (map[string]any, error) { return map[string]any{}, nil }
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["fromYamlArray"] = fromYAMLArray
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["fromJsonArray"] = fromJSONArray
	funcs["toToml"] = toTOML
	return funcs
}

// The conversions below never fail inside a template: a value that does not convert becomes an empty string,
// and a document that does not parse becomes {"Error": "<why>"} (or ["<why>"]), as in Helm.

func toYAML(value any) string {
	out, err := yaml.Marshal(value)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYAML(text string) map[string]any {
	result := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &result); err != nil {
		result["Error"] = err.Error()
	}
	return result
}

func fromYAMLArray(text string) []any {
	result := []any{}
	if err := yaml.Unmarshal([]byte(text), &result); err != nil {
		result = []any{err.Error()}
	}
	return result
}

func toJSON(value any) string {
	out, err := json.Marshal(value)
	if err != nil {
		return ""
	}
	return string(out)
}

func fromJSON(text string) map[string]any {
	result := map[string]any{}
	if err := json.Unmarshal([]byte(text), &result); err != nil {
		result["Error"] = err.Error()
	}
	return result
}

func fromJSONArray(text string) []any {
	result := []any{}
	if err := json.Unmarshal([]byte(text), &result); err != nil {
		result = []any{err.Error()}
	}
	return result
}

func toTOML(value any) string {
	var out bytes.Buffer
	if err := toml.NewEncoder(&out).Encode(value); err != nil {
		return err.Error()
	}
	return out.String()
}
