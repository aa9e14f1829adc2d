// Package jsonfield names a configuration's fields by their JSON paths, as config.json spells
// them: the fields of embedded structs at their parent's level, those of struct-valued fields
// under its name ("loss.confidence_gamma"). The names come from the struct tags, so a new field
// needs nothing but its tag: Set edits a field by name (--set), Diff lists the fields where two
// values differ, Values gives every field's Go value by name (the models' scope params).
package jsonfield

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// walk calls visit for each field of the struct x below prefix, by JSON path: groups
// (struct-valued fields) before their own fields; embedded structs' fields at their parent's level.
func walk(x reflect.Value, prefix string, visit func(name string, group bool, v reflect.Value)) {
	t := x.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			walk(x.Field(i), prefix, visit)
			continue
		}
		name = prefix + cmp.Or(name, f.Name)
		if f.Type.Kind() == reflect.Struct {
			visit(name, true, x.Field(i))
			walk(x.Field(i), name+".", visit)
			continue
		}
		visit(name, false, x.Field(i))
	}
}

// fields returns the JSON paths of the leaf fields of struct type t, and of its groups
// (struct-valued fields).
func fields(t reflect.Type) (leaves, groups []string) {
	walk(reflect.New(t).Elem(), "", func(name string, group bool, _ reflect.Value) {
		if group {
			groups = append(groups, name)
		} else {
			leaves = append(leaves, name)
		}
	})
	return leaves, groups
}

// Set returns v with one field replaced, named by its JSON path ("a.b"), parsing value
// as JSON (a bare word is taken as a string).
func Set[T any](v T, name, value string) (T, error) {
	var zero T
	leaves, groups := fields(reflect.TypeOf(v))
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

// Diff lists the JSON fields where got differs from want (values of one type), as
// "name got (pretrained: want)".
func Diff[T any](got, want T) []string {
	var a, b map[string]any
	ja, _ := json.Marshal(got)
	jb, _ := json.Marshal(want)
	json.Unmarshal(ja, &a)
	json.Unmarshal(jb, &b)
	leaves, _ := fields(reflect.TypeOf(got))
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

// Names returns the JSON paths of the leaf fields of the struct v, sorted.
func Names(v any) []string {
	leaves, _ := fields(reflect.TypeOf(v))
	slices.Sort(leaves)
	return leaves
}

// Values returns the Go value of every leaf field of the struct v by its JSON path.
func Values(v any) map[string]any {
	out := map[string]any{}
	walk(reflect.ValueOf(v), "", func(name string, group bool, x reflect.Value) {
		if !group {
			out[name] = x.Interface()
		}
	})
	return out
}
