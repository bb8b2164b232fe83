// Command syft-scanner is the lab's stand-in for the image
// docker/buildkit-syft-scanner, BuildKit's default SBOM generator, whose
// own Go module the lab's module proxy does not serve (lab/README.md,
// "SBOM scanner"). It speaks BuildKit's SBOM generator protocol
// (docs/attestations/sbom-protocol.md in BuildKit) on the syft library at
// the version the real scanner pins, with the same cataloger selection and
// the same output per target, so SBOMs built in the lab have the shape
// users get:
//
//   - BUILDKIT_SCAN_SOURCE is the core target (the image's root
//     filesystem); every directory in BUILDKIT_SCAN_SOURCE_EXTRAS, when
//     that is set and exists, is an extra target (a build stage or
//     context, named "sbom-<name>" by BuildKit);
//   - each target is scanned on its own and written to
//     $BUILDKIT_SCAN_DESTINATION/<target>.spdx.json as an in-toto
//     statement whose predicate is the SPDX 2.3 JSON document, named after
//     the target;
//   - the catalogers are syft's image selection plus its file catalogers
//     and the sbom-cataloger (SBOM files found in the target), or
//     BUILDKIT_SCAN_SELECT_CATALOGERS (comma-separated syft expressions);
//   - LOG_LEVEL (the image sets "warn") is syft's log level on stderr.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/anchore/go-logger"
	logrusadapter "github.com/anchore/go-logger/adapter/logrus"
	"github.com/anchore/stereoscope"
	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/cataloging/filecataloging"
	"github.com/anchore/syft/syft/cataloging/pkgcataloging"
	"github.com/anchore/syft/syft/format/spdxjson"
	"github.com/anchore/syft/syft/source"

	// An SQL driver for syft's RPM database reader, as the real scanner has.
	_ "modernc.org/sqlite"
)

const (
	statementType = "https://in-toto.io/Statement/v1"
	predicateSPDX = "https://spdx.dev/Document"
)

// statement is an in-toto statement without subjects: BuildKit writes the
// subjects (the image manifest) when it attaches the predicate.
type statement struct {
	Type          string          `json:"_type"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "syft-scanner:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if err := setLogger(os.Getenv("LOG_LEVEL")); err != nil {
		return err
	}
	// syft unpacks into the temporary directory; BuildKit mounts a tmpfs
	// on /tmp, other runners may not.
	if err := os.MkdirAll(os.TempDir(), 0o1777); err != nil {
		return err
	}
	dest, err := dirFromEnv("BUILDKIT_SCAN_DESTINATION", true)
	if err != nil {
		return err
	}
	core, err := dirFromEnv("BUILDKIT_SCAN_SOURCE", true)
	if err != nil {
		return err
	}
	targets := []string{core}
	extras, err := dirFromEnv("BUILDKIT_SCAN_SOURCE_EXTRAS", false)
	if err != nil {
		return err
	}
	if extras != "" {
		entries, err := os.ReadDir(extras)
		if err != nil {
			return err
		}
		for _, e := range entries {
			targets = append(targets, filepath.Join(extras, e.Name()))
		}
	}
	for _, t := range targets {
		if err := scan(ctx, t, dest); err != nil {
			return fmt.Errorf("scanning %s: %w", filepath.Base(t), err)
		}
	}
	return nil
}

// dirFromEnv is the directory the variable names; "" for an optional one
// that is unset, empty or missing (the protocol scans no extras then).
func dirFromEnv(name string, required bool) (string, error) {
	p := os.Getenv(name)
	if p == "" {
		if required {
			return "", fmt.Errorf("%s is not set", name)
		}
		return "", nil
	}
	if _, err := os.Stat(p); err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// selection is the catalogers to run on a directory that is an image's
// (or a stage's) root filesystem.
func selection() cataloging.SelectionRequest {
	if v := os.Getenv("BUILDKIT_SCAN_SELECT_CATALOGERS"); v != "" {
		return cataloging.NewSelectionRequest().WithExpression(strings.Split(v, ",")...)
	}
	return cataloging.NewSelectionRequest().
		WithDefaults(pkgcataloging.ImageTag, filecataloging.FileTag).
		WithAdditions("sbom-cataloger")
}

// scan writes the SPDX statement of the target directory to dest.
func scan(ctx context.Context, target, dest string) error {
	name := filepath.Base(target)
	src, err := syft.GetSource(ctx, target, syft.DefaultGetSourceConfig().
		WithBasePath(target).
		WithAlias(source.Alias{Name: name}))
	if err != nil {
		return err
	}
	defer src.Close()
	doc, err := syft.CreateSBOM(ctx, src, syft.DefaultCreateSBOMConfig().WithCatalogerSelection(selection()))
	if err != nil {
		return err
	}
	enc, err := spdxjson.NewFormatEncoderWithConfig(spdxjson.DefaultEncoderConfig())
	if err != nil {
		return err
	}
	var spdx bytes.Buffer
	if err := enc.Encode(&spdx, *doc); err != nil {
		return err
	}
	out, err := json.Marshal(statement{Type: statementType, PredicateType: predicateSPDX, Predicate: spdx.Bytes()})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dest, name+".spdx.json"), append(out, '\n'), 0o644)
}

func setLogger(level string) error {
	if level == "" {
		level = "warn"
	}
	l, err := logrusadapter.New(logrusadapter.Config{EnableConsole: true, Level: logger.Level(level)})
	if err != nil {
		return err
	}
	syft.SetLogger(l)
	stereoscope.SetLogger(l.Nested("from-lib", "stereoscope"))
	return nil
}
