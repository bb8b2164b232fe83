package resolve

import (
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
)

// ProxyArgs are the build arguments every step that downloads gets
// without a declaration, as in a Dockerfile (predefined ARGs).
var ProxyArgs = []string{"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"}

// declaredArgs are the build args the manifest declares, with the
// client's values over their defaults.
func declaredArgs(m *manifest.Manifest, given map[string]string) map[string]string {
	out := map[string]string{}
	for _, v := range m.Args.Vars {
		out[v.Name.Value] = v.Value.Value
		if g, ok := given[v.Name.Value]; ok {
			out[v.Name.Value] = g
		}
	}
	return out
}

// stepArgs adds the declared args (the client's value, else the default)
// to every step, and the proxy args given to every step that downloads.
// A declared arg overrides the provider's variable of the same name,
// except the language's flag variables (addEnv), added to the provider's.
func stepArgs(m *manifest.Manifest, t *plan.Target, given map[string]string, addEnv []string) {
	var args []string
	for _, v := range m.Args.Vars {
		val := v.Value.Value
		if g, ok := given[v.Name.Value]; ok {
			val = g
		}
		args = append(args, v.Name.Value+"="+val)
	}
	var proxies []string
	for _, k := range ProxyArgs {
		if v, ok := given[k]; ok && !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, k+"=") }) {
			proxies = append(proxies, k+"="+v)
		}
	}
	if len(args) == 0 && len(proxies) == 0 {
		return
	}
	for _, s := range plan.AllSteps(t.Steps) {
		if s.Run == nil {
			continue
		}
		add := args
		if s.Run.Network {
			add = append(slices.Clone(args), proxies...)
		}
		for _, a := range add {
			name, val, _ := strings.Cut(a, "=")
			i := slices.IndexFunc(s.Run.Env, func(e string) bool { return strings.HasPrefix(e, name+"=") })
			switch {
			case i < 0:
				s.Run.Env = append(s.Run.Env, a)
			case slices.Contains(addEnv, name):
				// Flags add up: the provider's stay.
				s.Run.Env[i] = strings.TrimSpace(s.Run.Env[i] + " " + val)
			default:
				s.Run.Env[i] = a
			}
		}
	}
}

// UnusedArgs are the client's build args that nothing reads: neither
// declared in the manifest nor one BuildKit, distill or the proxy steps
// read.
func UnusedArgs(m *manifest.Manifest, given map[string]string) []string {
	var out []string
	for k := range given {
		switch {
		case strings.HasPrefix(k, "BUILDKIT_"), strings.HasPrefix(k, "DISTILL_"), k == "SOURCE_DATE_EPOCH", slices.Contains(ProxyArgs, k):
		case slices.ContainsFunc(m.Args.Vars, func(v manifest.Var) bool { return v.Name.Value == k }):
		default:
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
