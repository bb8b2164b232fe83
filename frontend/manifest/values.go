package manifest

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// value is implemented by every positioned field type. decode fills the
// value from its YAML node; schema describes it in JSON Schema.
type value interface {
	decode(d *decoder, n *yaml.Node)
	schema() map[string]any
}

// String is a scalar string with the range it was written at.
type String struct {
	Value string `json:"value"`
	Range Range  `json:"range"`
}

// Set reports whether the manifest wrote the field.
func (s String) Set() bool { return s.Range.Known() }

func (s *String) decode(d *decoder, n *yaml.Node) {
	s.Range = d.rangeOf(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.invalid(n, "write one value, e.g. a word or a quoted string", "expected a string, found %s", kindName(n))
		return
	}
	s.Value = n.Value
}

func (String) schema() map[string]any { return map[string]any{"type": "string"} }

// Strings is a list of strings. A single scalar is not accepted where a list
// is expected: argv lists written as one shell string are the classic
// distroless mistake (there is no shell to split them).
type Strings struct {
	Items []String `json:"items"`
	Range Range    `json:"range"`
}

// Set reports whether the manifest wrote the field.
func (s Strings) Set() bool { return s.Range.Known() }

// Values returns the plain strings.
func (s Strings) Values() []string {
	out := make([]string, len(s.Items))
	for i, it := range s.Items {
		out[i] = it.Value
	}
	return out
}

func (s *Strings) decode(d *decoder, n *yaml.Node) {
	s.Range = d.rangeOf(n)
	if n.Kind != yaml.SequenceNode {
		hint := "write a YAML list, e.g. [a, b]"
		if n.Kind == yaml.ScalarNode && strings.ContainsAny(n.Value, " \t") {
			hint = fmt.Sprintf("write it as a list: %s", quoteList(strings.Fields(n.Value)))
		}
		d.invalid(n, hint, "expected a list of strings, found %s", kindName(n))
		return
	}
	for _, c := range n.Content {
		var it String
		it.decode(d, c)
		s.Items = append(s.Items, it)
	}
}

func (Strings) schema() map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
}

// Bool is a boolean that remembers whether it was written.
type Bool struct {
	Value bool  `json:"value"`
	Range Range `json:"range"`
}

// Set reports whether the manifest wrote the field.
func (b Bool) Set() bool { return b.Range.Known() }

func (b *Bool) decode(d *decoder, n *yaml.Node) {
	b.Range = d.rangeOf(n)
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "true":
			b.Value = true
			return
		case "false":
			b.Value = false
			return
		}
	}
	d.invalid(n, "write true or false", "expected a boolean, found %s", kindName(n))
}

func (Bool) schema() map[string]any { return map[string]any{"type": "boolean"} }

// Var is one environment variable.
type Var struct {
	Name  String `json:"name"`
	Value String `json:"value"`
}

// Env is a mapping of environment variables, kept in file order.
type Env struct {
	Vars  []Var `json:"vars"`
	Range Range `json:"range"`
}

func (e *Env) decode(d *decoder, n *yaml.Node) {
	e.Range = d.rangeOf(n)
	if n.Kind != yaml.MappingNode {
		d.invalid(n, "write a mapping, e.g. {LOG_LEVEL: info}", "expected a mapping of variable names to values, found %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var kv Var
		kv.Name.decode(d, k)
		if kv.Name.Value == "" || strings.ContainsAny(kv.Name.Value, "= \t") {
			d.invalid(k, "use a name without '=' or spaces", "invalid environment variable name %q", kv.Name.Value)
		}
		if seen[kv.Name.Value] {
			d.invalid(k, "remove one of them", "environment variable %q is set twice", kv.Name.Value)
		}
		seen[kv.Name.Value] = true
		kv.Value.Range = d.rangeOf(v)
		if v.Kind != yaml.ScalarNode {
			d.invalid(v, "quote the value", "the value of %s must be a string, found %s", kv.Name.Value, kindName(v))
		} else if v.Tag != "!!null" {
			kv.Value.Value = v.Value
		}
		e.Vars = append(e.Vars, kv)
	}
}

func (Env) schema() map[string]any {
	return map[string]any{
		"type":                 "object",
		"additionalProperties": map[string]any{"type": []string{"string", "number", "boolean"}},
	}
}

// Args are the build arguments the manifest declares, with their
// defaults: a mapping like env, where a value may be left empty (null).
type Args struct{ Env }

func (Args) schema() map[string]any {
	return map[string]any{
		"type":                 "object",
		"additionalProperties": map[string]any{"type": []string{"string", "number", "boolean", "null"}},
	}
}

// Port is an exposed port: 8080, "8080/tcp" or "53/udp".
type Port struct {
	Number   int    `json:"number"`
	Protocol string `json:"protocol"`
	Range    Range  `json:"range"`
}

// String formats the port the way image configs key ExposedPorts.
func (p Port) String() string { return fmt.Sprintf("%d/%s", p.Number, p.Protocol) }

// Ports is the list of exposed ports.
type Ports struct {
	Items []Port `json:"items"`
	Range Range  `json:"range"`
}

func (p *Ports) decode(d *decoder, n *yaml.Node) {
	p.Range = d.rangeOf(n)
	if n.Kind != yaml.SequenceNode {
		d.invalid(n, "write a list, e.g. [8080]", "expected a list of ports, found %s", kindName(n))
		return
	}
	for _, c := range n.Content {
		port := Port{Range: d.rangeOf(c), Protocol: "tcp"}
		num := c.Value
		if c.Kind != yaml.ScalarNode {
			d.invalid(c, `write a port number such as 8080 or "53/udp"`, "expected a port, found %s", kindName(c))
			continue
		}
		if i := strings.IndexByte(num, '/'); i >= 0 {
			port.Protocol = strings.ToLower(num[i+1:])
			num = num[:i]
		}
		v, err := strconv.Atoi(num)
		if err != nil || v < 1 || v > 65535 || (port.Protocol != "tcp" && port.Protocol != "udp" && port.Protocol != "sctp") {
			d.invalid(c, `write a port number from 1 to 65535, optionally with /tcp, /udp or /sctp`, "invalid port %q", c.Value)
			continue
		}
		port.Number = v
		p.Items = append(p.Items, port)
	}
}

func (Ports) schema() map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{
		"oneOf": []any{
			map[string]any{"type": "integer", "minimum": 1, "maximum": 65535},
			map[string]any{"type": "string", "pattern": `^[0-9]{1,5}(/(tcp|udp|sctp))?$`},
		},
	}}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "an empty document"
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
