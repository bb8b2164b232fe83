// Package scaffold writes the manifest `distill init` proposes for an
// app: the language its files tell, what its language suggests (a
// framework's command, the port it listens on), what the plan of that
// manifest decided (shown as comments), and the choices it could not make
// as commented lines.
package scaffold

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/resolve"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Syntax is the frontend image the manifest's first line names.
const Syntax = "ghcr.io/distill-build/distill:1"

// Manifest is the manifest for the app in the directory dir of fsys (a
// repository: a workspace of the app's language above dir makes the app
// its member, and the workspace's directory, root, the context to build
// from; else root is dir). What the plan of that manifest decides, or
// the problem it has, is written into the manifest as comments. language
// names the app's language ("": detected); an app whose language cannot
// be told is an error, without the manifest's position (there is no
// manifest yet) and saying to name it.
func Manifest(ctx context.Context, fsys providers.FS, dir, language string, build ocispecs.Platform) (data []byte, root string, err error) {
	m := &manifest.Manifest{File: manifest.DefaultFilename}
	m.Language.Value = language
	if err := resolve.DetectLanguage(ctx, fsys, m, dir); err != nil {
		var me *manifest.Error
		if errors.As(err, &me) {
			return nil, "", fmt.Errorf("%s: name it with --language (%s)", me.Msg, strings.Join(resolve.Languages(), ", "))
		}
		return nil, "", err
	}
	s, err := resolve.Suggest(ctx, fsys, m, dir)
	if err != nil {
		var me *manifest.Error
		if language != "" && errors.As(err, &me) {
			return nil, "", fmt.Errorf("--language %s: %s (%s)", language, me.Msg, me.Hint)
		}
		return nil, "", err
	}
	ws, err := resolve.WorkspaceRoot(ctx, fsys, m, dir)
	if err != nil {
		return nil, "", err
	}
	root = dir
	if ws != "" {
		root = ws
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# syntax=%s\n", Syntax)
	b.WriteString("# Written by `distill init` from what it found here: edit it freely (every\n")
	b.WriteString("# field is in docs/manifest.md, or `distill schema`).\n")
	if ws != "" {
		mf := path.Join(m.Member, manifest.DefaultFilename)
		up := strings.TrimSuffix(strings.Repeat("../", strings.Count(m.Member, "/")+1), "/")
		b.WriteString(comment(fmt.Sprintf("This app is a member of the %s workspace whose root is %s from here: build it from there (docker buildx build -f %s .); distill installs what the app needs of the workspace.", m.Language.Value, up, mf)))
	}
	b.WriteString("\n")
	if language != "" {
		b.WriteString("# The language, as --language named it.\n")
	} else {
		fmt.Fprintf(&b, "# The language, from %s (left out, distill detects it the same way).\n", m.Detected)
	}
	fmt.Fprintf(&b, "language: %s\n", m.Language.Value)
	if s.Main != "" {
		fmt.Fprintf(&b, "# What to build: %s.\n", s.MainWhy)
		fmt.Fprintf(&b, "main: %s\n", s.Main)
	}
	if len(s.Entrypoint) > 0 {
		js, _ := json.Marshal(s.Entrypoint)
		fmt.Fprintf(&b, "# The command: %s.\n", s.EntrypointWhy)
		fmt.Fprintf(&b, "entrypoint: %s\n", strings.ReplaceAll(string(js), `","`, `", "`))
	}
	if len(s.BuildPackages) > 0 {
		fmt.Fprintf(&b, "# Debian packages the build needs, %s.\n", s.BuildPackagesWhy)
		fmt.Fprintf(&b, "build-packages: [%s]\n", strings.Join(s.BuildPackages, ", "))
	}
	if s.Port > 0 {
		fmt.Fprintf(&b, "# The port the app listens on: %s.\n", s.PortWhy)
		fmt.Fprintf(&b, "expose: [%d]\n", s.Port)
	}
	// What the plan of this manifest decides, and what it could not.
	text := b.Bytes()
	pm, err := manifest.Parse(manifest.DefaultFilename, text)
	if err != nil {
		return nil, "", fmt.Errorf("the manifest init wrote does not parse: %w", err)
	}
	if ws != "" {
		pm.Member, pm.InRoot = m.Member, path.Join(m.Member, manifest.DefaultFilename)
	}
	var notes []string
	p, perr := resolve.Resolve(ctx, pm, contextfs.Sub(fsys, root), resolve.Options{BuildPlatform: build})
	if perr != nil {
		notes = append(notes, "distill cannot plan this app yet: "+perr.Error())
	} else if len(p.Targets) > 0 {
		t := p.Targets[0]
		ep := append(append([]string(nil), t.Config.Entrypoint...), t.Config.Cmd...)
		if len(s.Entrypoint) == 0 {
			js, _ := json.Marshal(ep)
			notes = append(notes, fmt.Sprintf("The image runs %s (distill's default); set entrypoint: to change it.", strings.ReplaceAll(string(js), `","`, `", "`)))
		}
		notes = append(notes, fmt.Sprintf("Runtime: %s (%s).", t.Runtime.Ref, t.Runtime.Facts.Why))
	}
	if s.Port == 0 {
		notes = append(notes, "No port found in the sources: if the app serves one, add expose: [8080].")
	}
	b.WriteString("\n")
	for _, n := range notes {
		b.WriteString(comment(n))
	}
	b.WriteString("\n# Choices distill cannot make for you:\n")
	b.WriteString("# platforms: [linux/amd64, linux/arm64]   # what to build when the client names none\n")
	b.WriteString("# runtime-packages: [libmagic1]           # Debian packages the app opens or runs at run time\n")
	b.WriteString("# include: [templates/, static/]          # files the app reads at run time, when distill does not copy them\n")
	return b.Bytes(), root, nil
}

// comment is text as comment lines of at most 76 characters.
func comment(text string) string {
	var b strings.Builder
	line := "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 76 && line != "#" {
			b.WriteString(line + "\n")
			line = "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}
