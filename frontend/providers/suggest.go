package providers

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// ScanPort is the first port one of res captures (group 1) in the files
// of dir (in order; missing ones are skipped), with where it was found.
func ScanPort(ctx context.Context, fsys FS, dir string, files []string, res ...*regexp.Regexp) (int, string, error) {
	for _, f := range files {
		data, ok, err := ReadFile(ctx, fsys, path.Join(dir, f))
		if err != nil {
			return 0, "", err
		}
		if !ok {
			continue
		}
		for _, re := range res {
			if m := re.FindSubmatch(data); m != nil {
				if n, err := strconv.Atoi(string(m[1])); err == nil && n > 0 && n < 65536 {
					found := strings.Join(strings.Fields(string(m[0])), " ")
					if len(found) > 60 {
						found = found[:57] + "..."
					}
					return n, fmt.Sprintf("%s in %s", found, f), nil
				}
			}
		}
	}
	return 0, "", nil
}

// EnvPortRE finds the default of a PORT variable: the first 4- or 5-digit
// number within a few lines after the name (PORT) || 3000, Err(_) =>
// 8080, getenv("PORT", "8000")), the convention of twelve-factor apps.
var EnvPortRE = regexp.MustCompile(`(?s)\bPORT\b.{0,160}?\b(\d{4,5})\b`)

// SourceFiles are the files of dir whose names end with ext, sorted,
// and those of its subdirectories under sub (one level: cmd/*), at most
// limit.
func SourceFiles(ctx context.Context, fsys FS, dir, ext string, subs []string, limit int) ([]string, error) {
	var out []string
	add := func(d string) error {
		entries, err := fsys.ReadDir(ctx, path.Join(dir, d))
		if err != nil {
			return nil // no such directory
		}
		for _, e := range entries {
			if len(out) >= limit {
				return nil
			}
			if !e.IsDir() && path.Ext(e.Name()) == ext {
				out = append(out, path.Join(d, e.Name()))
			}
		}
		return nil
	}
	if err := add("."); err != nil {
		return nil, err
	}
	for _, s := range subs {
		entries, err := fsys.ReadDir(ctx, path.Join(dir, s))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.IsDir() {
				if err := add(path.Join(s, e.Name())); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}
