package java

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// pom is the part of a Maven pom.xml distill reads.
type pom struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Packaging  string `xml:"packaging"`
	Parent     struct {
		GroupID      string `xml:"groupId"`
		ArtifactID   string `xml:"artifactId"`
		RelativePath string `xml:"relativePath"`
	} `xml:"parent"`
	Modules    []string   `xml:"modules>module"`
	Properties properties `xml:"properties"`
	Build      struct {
		Plugins []struct {
			GroupID    string `xml:"groupId"`
			ArtifactID string `xml:"artifactId"`
		} `xml:"plugins>plugin"`
	} `xml:"build"`
}

// properties are a pom's <properties>, by name.
type properties map[string]string

// UnmarshalXML reads every child element as a property.
func (p *properties) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	*p = properties{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var v string
			if err := d.DecodeElement(&v, &t); err != nil {
				return err
			}
			(*p)[t.Name.Local] = strings.TrimSpace(v)
		case xml.EndElement:
			return nil
		}
	}
}

func parsePom(data []byte) (*pom, error) {
	var p pom
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(&p); err != nil {
		return nil, err
	}
	if p.ArtifactID == "" {
		return nil, fmt.Errorf("no <artifactId>")
	}
	return &p, nil
}

// module is a Maven module of the build: its directory relative to the
// project root ("." for the root) and its pom.
type module struct {
	dir string
	pom *pom
	// parent is the module whose pom is this one's <parent>, when it is
	// part of the build.
	parent *module
}

// packaging is the module's packaging (jar by default).
func (m *module) packaging() string {
	if m.pom.Packaging == "" {
		return "jar"
	}
	return m.pom.Packaging
}

// property looks a property up in the module's pom, then its parents'.
func (m *module) property(name string) (string, bool) {
	for p := m; p != nil; p = p.parent {
		if v, ok := p.pom.Properties[name]; ok {
			return v, true
		}
	}
	return "", false
}

var propRE = regexp.MustCompile(`\$\{([^}]+)\}`)

// interpolate expands ${name} from the module's properties (a few levels
// deep), leaving unknown ones as they are.
func (m *module) interpolate(v string) string {
	for range 5 {
		next := propRE.ReplaceAllStringFunc(v, func(s string) string {
			if r, ok := m.property(s[2 : len(s)-1]); ok {
				return r
			}
			return s
		})
		if next == v {
			break
		}
		v = next
	}
	return v
}

// usesPlugin reports whether the module or a parent in the build
// declares a plugin, or inherits Spring Boot's parent (which configures
// its plugin).
func (m *module) usesPlugin(artifactID string) bool {
	for p := m; p != nil; p = p.parent {
		for _, pl := range p.pom.Build.Plugins {
			if pl.ArtifactID == artifactID {
				return true
			}
		}
	}
	return false
}

// springBoot reports whether the module is a Spring Boot app: it uses
// Boot's Maven plugin, or its parent is Boot's starter parent and it
// names the plugin.
func (m *module) springBoot() bool {
	return m.usesPlugin("spring-boot-maven-plugin")
}

// mavenProject is the reactor: every module reachable from the root pom
// through <modules>.
type mavenProject struct {
	root    string // directory of the root pom, relative to the context
	modules []*module
}

// poms lists every pom.xml of the build, relative to the context.
func (mp *mavenProject) poms() []string {
	out := make([]string, len(mp.modules))
	for i, m := range mp.modules {
		out[i] = path.Join(mp.root, m.dir, "pom.xml")
	}
	slices.Sort(out)
	return out
}

// readMaven reads the root pom and its modules, recursively.
func readMaven(ctx context.Context, fsys providers.FS, root string) (*mavenProject, error) {
	mp := &mavenProject{root: root}
	seen := map[string]bool{}
	var walk func(dir string, parent *module) error
	walk = func(dir string, parent *module) error {
		if seen[dir] {
			return nil
		}
		seen[dir] = true
		file := path.Join(root, dir, "pom.xml")
		data, ok, err := providers.ReadFile(ctx, fsys, file)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("module %q has no %s in the build context", dir, file)
		}
		p, err := parsePom(data)
		if err != nil {
			return fmt.Errorf("%s: %v", file, err)
		}
		m := &module{dir: dir, pom: p}
		// The parent is in the build when <parent> names it (by
		// artifactId) and it is the aggregator that lists this module.
		if parent != nil && (p.Parent.ArtifactID == parent.pom.ArtifactID) {
			m.parent = parent
		}
		mp.modules = append(mp.modules, m)
		for _, sub := range p.Modules {
			sub = strings.TrimSuffix(strings.TrimSpace(sub), "/pom.xml")
			d := path.Join(dir, sub)
			if d == ".." || strings.HasPrefix(d, "../") || path.IsAbs(sub) {
				return fmt.Errorf("%s: module %q is outside the project", file, sub)
			}
			if err := walk(d, m); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(".", nil); err != nil {
		return nil, err
	}
	return mp, nil
}

// find is the module `main:` names: its directory or its artifactId.
func (mp *mavenProject) find(name string) *module {
	clean := path.Clean(strings.TrimPrefix(name, "./"))
	for _, m := range mp.modules {
		if m.dir == clean || m.pom.ArtifactID == name {
			return m
		}
	}
	return nil
}

// runnable are the modules whose artifact can run: jar packaging.
func (mp *mavenProject) runnable() []*module {
	var out []*module
	for _, m := range mp.modules {
		if m.packaging() == "jar" {
			out = append(out, m)
		}
	}
	return out
}

// describe names modules for an error: "server (server/), greeting (greeting/)".
func describe(ms []*module) string {
	var s []string
	for _, m := range ms {
		s = append(s, fmt.Sprintf("%s (%s/)", m.pom.ArtifactID, m.dir))
	}
	return strings.Join(s, ", ")
}

// prepareMaven reads the reactor and picks the module that runs.
func (pr *project) prepareMaven(ctx context.Context) error {
	m := pr.m
	mp, err := readMaven(ctx, pr.req.FS, pr.tool.root)
	if err != nil {
		return providers.Fail(m, pr.tool.fileRange, "fix the pom", "%v", err)
	}
	pr.maven = mp
	runnable := mp.runnable()
	switch {
	case m.Main.Set():
		mod := mp.find(m.Main.Value)
		if mod == nil {
			return providers.Fail(m, m.Main.Range, "name one of: "+describe(mp.modules), "no module %q in the Maven build", m.Main.Value)
		}
		if mod.packaging() != "jar" {
			return providers.Fail(m, m.Main.Range, "name a module with jar packaging: "+describe(runnable), "module %s has packaging %s: it builds no jar that runs", mod.pom.ArtifactID, mod.packaging())
		}
		pr.module = mod
	case len(runnable) == 1:
		pr.module = runnable[0]
	case len(runnable) == 0:
		return providers.Fail(m, pr.tool.fileRange, "add a module with jar packaging", "the Maven build has no module with jar packaging")
	default:
		// Several jars: the one Spring Boot repackages, when only one is.
		var boot []*module
		for _, mod := range runnable {
			if mod.springBoot() {
				boot = append(boot, mod)
			}
		}
		if len(boot) != 1 {
			return providers.Fail(m, m.Language.Range, "set main: to the module that runs, one of: "+describe(runnable), "the Maven build has %d modules that build jars", len(runnable))
		}
		pr.module = boot[0]
	}
	return nil
}
