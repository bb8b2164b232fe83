package rust

import "github.com/distill-build/distill/frontend/providers"

// cargoLock is Cargo.lock: TOML whose packages are [[package]] tables,
// and whose version, when written (Cargo since 1.53), is a number.
var cargoLock = providers.LockFile{Syntax: providers.TOML, Fix: "cargo generate-lockfile", Check: func(doc any) string {
	lock := doc.(map[string]any)
	if v, ok := lock["version"]; ok {
		if _, isInt := v.(int64); !isInt {
			return "its version is not a number: it is not a Cargo lock file"
		}
	}
	if p, ok := lock["package"]; ok {
		if _, isList := p.([]any); !isList {
			return "its package entries are not [[package]] tables: it is not a Cargo lock file"
		}
	}
	return ""
}}
