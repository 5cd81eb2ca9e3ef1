// Package configdoc generates mailtower's configuration reference from the
// code: it walks config.Config's struct tags (toml, doc, default) and
// writes the Markdown reference (docs/config-reference.md), the commented
// default configuration file (contrib/mailtower.toml, shipped as
// /etc/mailtower/mailtower.toml) and the mailtower.toml(5) man page.
//
// The keys, their types, defaults and one-line descriptions come from the
// tags; the paragraph introducing each section and the example values of
// the optional scanner sections are kept here, next to the code that
// prints them.
package configdoc

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/mailtower/mailtower/internal/config"
)

// Key is one configuration key.
type Key struct {
	// Name is the TOML key, Type a human type name.
	Name, Type string
	// Default is the default value written as TOML, "" when none.
	Default string
	// Doc is the one-line description from the doc tag.
	Doc string
	// Field is the struct field (for tests).
	Field reflect.StructField
}

// Section is one TOML table; Path "" is the top level.
type Section struct {
	Path string
	// Doc introduces the section.
	Doc string
	// Optional sections (pointer fields) are used only when present; the
	// generated file shows them commented out.
	Optional bool
	Keys     []Key
}

// Sections walks config.Config in field order.
func Sections() []Section {
	var out []Section
	walk(reflect.TypeOf(config.Config{}), "", false, &out)
	return out
}

func walk(t reflect.Type, path string, optional bool, out *[]Section) {
	sec := Section{Path: path, Doc: sectionDocs[path], Optional: optional}
	var subs []func()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("toml"), ",")[0]
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		sub := join(path, name)
		switch {
		case f.Type.Kind() == reflect.Struct:
			subs = append(subs, func() { walk(f.Type, sub, false, out) })
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
			subs = append(subs, func() { walk(f.Type.Elem(), sub, true, out) })
		default:
			sec.Keys = append(sec.Keys, Key{Name: name, Type: typeName(f.Type), Default: tomlValue(f, f.Tag.Get("default")),
				Doc: f.Tag.Get("doc"), Field: f})
		}
	}
	if len(sec.Keys) > 0 {
		*out = append(*out, sec)
	}
	for _, s := range subs {
		s()
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

var (
	durationType = reflect.TypeOf(config.Duration(0))
	sizeType     = reflect.TypeOf(config.ByteSize(0))
)

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t == sizeType:
		return "size"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "number"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "list of strings"
	}
	return "" // a test requires a name for every key type
}

// tomlValue writes a default tag as a TOML value of the field's type.
func tomlValue(f reflect.StructField, def string) string {
	t := f.Type
	switch {
	case t.Kind() == reflect.Slice:
		var items []string
		for _, s := range strings.Split(def, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, strconv.Quote(s))
			}
		}
		return "[" + strings.Join(items, ", ") + "]"
	case t == sizeType && def == "":
		return `"0"`
	case t == durationType && def == "":
		return `"0s"`
	case t == durationType || t == sizeType || t.Kind() == reflect.String:
		return strconv.Quote(def)
	case def == "" && t.Kind() == reflect.Bool:
		return "false"
	case def == "":
		return "0"
	}
	return def
}

// Value returns the value a key shows in the generated file: the example
// for keys without a default (scanner addresses), else the default.
func (k Key) Value(section string) string {
	if ex, ok := examples[join(section, k.Name)]; ok {
		return ex
	}
	return k.Default
}

// header names the section as TOML writes it.
func (s Section) header() string { return fmt.Sprintf("[%s]", s.Path) }
