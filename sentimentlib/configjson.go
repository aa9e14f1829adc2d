package sentimentlib

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Configurations are edited by their JSON field names, as config.json spells them: the fields
// of embedded structs at their parent's level, those of struct-valued fields under its name
// ("loss.confidence_gamma"). The names come from the struct tags, so a new field needs nothing
// but its tag.

// jsonFields returns the JSON paths of the leaf fields of struct type t, and of its groups
// (struct-valued fields).
func jsonFields(t reflect.Type) (leaves, groups []string) {
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, prefix)
				continue
			}
			name = prefix + cmp.Or(name, f.Name)
			if f.Type.Kind() == reflect.Struct {
				groups = append(groups, name)
				walk(f.Type, name+".")
				continue
			}
			leaves = append(leaves, name)
		}
	}
	walk(t, "")
	return leaves, groups
}

// setJSONField returns v with one field replaced, named by its JSON path ("a.b"), parsing value
// as JSON (a bare word is taken as a string).
func setJSONField[T any](v T, name, value string) (T, error) {
	var zero T
	leaves, groups := jsonFields(reflect.TypeOf(v))
	if !slices.Contains(leaves, name) {
		// The fields at the level the name points to.
		prefix := ""
		if i := strings.LastIndex(name, "."); i >= 0 && slices.Contains(groups, name[:i]) {
			prefix = name[:i+1]
		}
		var here []string
		for _, f := range append(leaves, groups...) {
			if rest, ok := strings.CutPrefix(f, prefix); ok && !strings.Contains(rest, ".") {
				here = append(here, f)
			}
		}
		slices.Sort(here)
		return zero, fmt.Errorf("config: no field %q; fields: %s", name, strings.Join(here, ", "))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return zero, err
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		return zero, err
	}
	path := strings.Split(name, ".")
	m := root
	for _, p := range path[:len(path)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok { // a group JSON left out (omitzero)
			sub = map[string]any{}
			m[p] = sub
		}
		m = sub
	}
	var x any
	if err := json.Unmarshal([]byte(value), &x); err != nil {
		x = value
	}
	m[path[len(path)-1]] = x
	b, _ = json.Marshal(root)
	var out T
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return zero, fmt.Errorf("config: %s=%s: %v", name, value, err)
	}
	return out, nil
}

// jsonDiff lists the JSON fields where got differs from want (values of one type), as
// "name got (pretrained: want)".
func jsonDiff[T any](got, want T) []string {
	var a, b map[string]any
	ja, _ := json.Marshal(got)
	jb, _ := json.Marshal(want)
	json.Unmarshal(ja, &a)
	json.Unmarshal(jb, &b)
	leaves, _ := jsonFields(reflect.TypeOf(got))
	var diffs []string
	for _, f := range leaves {
		if !reflect.DeepEqual(a[f], b[f]) {
			diffs = append(diffs, fmt.Sprintf("%s %v (pretrained: %v)", f, cmpAny(a[f]), cmpAny(b[f])))
		}
	}
	return diffs
}

// cmpAny prints a field JSON left out as 0.
func cmpAny(v any) any {
	if v == nil {
		return 0
	}
	return v
}
