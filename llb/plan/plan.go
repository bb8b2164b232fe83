package plan

// Version of the plan format, bumped on incompatible changes.
const Version = 1

// Plan is the whole build: one Target per platform.
type Plan struct {
	Version  int      `json:"version"`
	Manifest string   `json:"manifest"`
	Language string   `json:"language"`
	Targets  []Target `json:"targets"`
}

// Target is everything needed to build the image of one platform.
type Target struct {
	// Platform is the platform of the produced image, e.g. linux/arm64.
	Platform string `json:"platform"`
	// Builder is the image the steps run in. Its platform is the build
	// platform when the language cross-compiles natively, or the target
	// platform when the steps must run emulated.
	Builder Image `json:"builder"`
	// Runtime is the base of the produced image (always Platform).
	Runtime Image  `json:"runtime"`
	Steps   []Step `json:"steps"`
	// Artifacts are copied onto the runtime, one layer per Layer group.
	Artifacts []Artifact `json:"artifacts"`
	Config    Config     `json:"config"`
	// Needs is what the artifacts need of the runtime (a C library), for
	// the checks that look into a runtime the provider did not choose.
	Needs *Needs `json:"needs,omitempty"`
	// Script is the build-context file the entrypoint's interpreter runs,
	// when the provider knows it comes from the context unchanged (for
	// the check that it is there).
	Script *ContextFile `json:"script,omitempty"`
	// CAEnv are the variables the language's tools read for a CA bundle:
	// every step that downloads gets them set to the ca-bundle secret's
	// path, besides the ones every Debian tool reads.
	CAEnv []string `json:"caEnv,omitempty"`
	// Choice, when set, says the runtime is decided at build time from
	// what the built artifacts need: Runtime is the prediction until then.
	Choice *Choice `json:"choice,omitempty"`
	// Locks are what a lock pins for the target besides its images
	// (`--call=lock` runs them, `--call=check` again for drift).
	Locks []Lock `json:"locks,omitempty"`
}

// Lock is something a build downloads besides images that distill.lock
// pins: Steps, run in Builder on the network, write to Output what the
// build would download today (a JSON document the lock package reads);
// the build then installs what the lock recorded. Pinned says the plan's
// steps install from the lock; Origin is the manifest field it serves.
type Lock struct {
	Kind    string `json:"kind"`
	Builder Image  `json:"builder"`
	Steps   []Step `json:"steps"`
	Output  string `json:"output"`
	Pinned  bool   `json:"pinned,omitempty"`
	Origin  Origin `json:"origin"`
}

// Choice is a runtime chosen at build time. A helper step (the last of
// Steps[:After]) mounts every candidate runtime image and writes, to File
// in the builder, the name of the one the artifacts run on; the frontend
// solves the builder up to that step, reads the file, and builds the
// target on that candidate.
type Choice struct {
	After int    `json:"after"`
	File  string `json:"file"`
	// Candidates name the step's image mounts, in order: the name the
	// helper writes → the mount whose image becomes the runtime.
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one runtime a Choice may pick: the helper's name for it
// and the target of its image mount in the choice step.
type Candidate struct {
	Name  string `json:"name"`
	Mount string `json:"mount"`
	// Without are artifact sources not copied when this candidate is
	// chosen (the libraries carried for a runtime: none for static).
	Without []string `json:"without,omitempty"`
}

// Chosen is the candidate's image, from the choice step's mounts.
func (t *Target) Chosen(name string) (*Image, bool) {
	if t.Choice == nil || t.Choice.After < 1 || t.Choice.After > len(t.Steps) || t.Steps[t.Choice.After-1].Run == nil {
		return nil, false
	}
	for _, c := range t.Choice.Candidates {
		if c.Name != name {
			continue
		}
		for _, m := range t.Steps[t.Choice.After-1].Run.Mounts {
			if m.Target == c.Mount && m.Image != nil {
				return m.Image, true
			}
		}
	}
	return nil, false
}

// Needs is what the artifacts need of the runtime image.
type Needs struct {
	// Libc is the C library the artifacts link (LibcGlibc), or empty.
	Libc string `json:"libc,omitempty"`
	// Why says what needs it, in the language's words.
	Why string `json:"why,omitempty"`
	// Rule is the check rule a runtime without it is reported under.
	Rule   string `json:"rule,omitempty"`
	Origin Origin `json:"origin"`
}

// ContextFile is a file of the build context and the manifest field that
// names it.
type ContextFile struct {
	Path   string `json:"path"`
	Origin Origin `json:"origin"`
}

// C libraries of an image (Facts.Libc, Needs.Libc).
const (
	LibcNone  = "none"
	LibcGlibc = "glibc"
)

// Roles of the images a target uses.
const (
	RoleRuntime = "runtime"
	RoleBuilder = "builder"
)

// ImageUse is an image a target uses and what for.
type ImageUse struct {
	Role  string
	Image *Image
}

// Images lists the images the target uses, to resolve, check or pin
// them: the runtime, the builder, the builder of every emulated step
// (held ones included) and every image a step mounts.
func (t *Target) Images() []ImageUse {
	out := []ImageUse{{RoleRuntime, &t.Runtime}, {RoleBuilder, &t.Builder}}
	for i := range t.Locks {
		out = append(out, ImageUse{RoleBuilder, &t.Locks[i].Builder})
	}
	for _, s := range AllSteps(t.Steps) {
		if s.Run == nil {
			continue
		}
		if s.Run.Emulated != nil {
			out = append(out, ImageUse{RoleBuilder, &s.Run.Emulated.Builder})
		}
		for i := range s.Run.Mounts {
			if im := s.Run.Mounts[i].Image; im != nil {
				// A runtime candidate's mount says so.
				role := RoleBuilder
				if im.Role == RoleRuntime {
					role = RoleRuntime
				}
				out = append(out, ImageUse{role, im})
			}
		}
	}
	return out
}

// Image is an image reference resolved for one platform. Digest is empty
// until something pins it.
type Image struct {
	Ref      string `json:"ref"`
	Platform string `json:"platform"`
	Digest   string `json:"digest,omitempty"`
	// Config, when set, is the digest the image's config for Platform
	// must have (distill.lock's record): the compiler refuses another.
	Config string `json:"config,omitempty"`
	// Role is what the target uses the image for (RoleBuilder,
	// RoleRuntime).
	Role string `json:"role,omitempty"`
	// Origin is the manifest field that chose the image: errors about it
	// and check findings point there.
	Origin Origin `json:"origin"`
	// Facts are what the provider knows of the image.
	Facts Facts `json:"facts"`
}

// Facts are what the provider that chose an image knows of it, so that
// checks, errors and the lock read them instead of guessing them back
// from the reference. An empty field is unknown (an image the manifest
// names, which only a look inside can tell).
type Facts struct {
	// Toolchain and Version are the language toolchain the image carries
	// and its version, to the precision builder and runtime must share
	// (a minor or a major release, as the language needs); empty when it
	// carries none.
	Toolchain string `json:"toolchain,omitempty"`
	Version   string `json:"version,omitempty"`
	// Debian is the Debian release the image is built from ("13").
	Debian string `json:"debian,omitempty"`
	// Libc is the C library the image has: LibcNone or LibcGlibc.
	Libc string `json:"libc,omitempty"`
	// Why says why the provider chose the image.
	Why string `json:"why,omitempty"`
}

// Origin points a step back at the manifest field that caused it.
type Origin struct {
	Field string `json:"field"`
	Line  int    `json:"line,omitempty"`
	// EndLine is the last line of the field's value.
	EndLine int `json:"endLine,omitempty"`
}

// Step is one operation in the builder. Exactly one of Copy, Write and
// Run is set.
type Step struct {
	// Name is the progress name, e.g. "[<language>] download modules".
	Name   string `json:"name"`
	Origin Origin `json:"origin"`
	Copy   *Copy  `json:"copy,omitempty"`
	Write  *Write `json:"write,omitempty"`
	Run    *Run   `json:"run,omitempty"`
}

// Write creates a file the frontend generated (e.g. a dependency list
// converted from a lock file) in the builder.
type Write struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// Copy copies files of the build context into the builder.
type Copy struct {
	// Dir, when set, is the context directory the copy reads: Paths are
	// relative to it, and without Paths its content is copied into Dest
	// (an app that is a member of a workspace: the member's directory is
	// the app's directory in the image).
	Dir string `json:"dir,omitempty"`
	// Paths are context paths (files or directories), copied to the same
	// relative path under Dest; empty means the whole context (after
	// .dockerignore), or the whole of Dir.
	Paths []string `json:"paths,omitempty"`
	Dest  string   `json:"dest"`
	// Exclude are patterns (.dockerignore syntax) left out of the copy,
	// relative to each path copied (to Dir, or the context's root, for a
	// whole copy).
	Exclude []string `json:"exclude,omitempty"`
}

// Run runs a command (argv, no shell) in the builder.
type Run struct {
	Args []string `json:"args"`
	Dir  string   `json:"dir"`
	// Env is sorted NAME=value.
	Env    []string `json:"env,omitempty"`
	Caches []Cache  `json:"caches,omitempty"`
	// Network marks a step that downloads: it gets the CA bundle secret
	// and the network; other steps run with no network.
	Network bool `json:"network,omitempty"`
	// Mounts are read-only images mounted into the step.
	Mounts []Mount `json:"mounts,omitempty"`
	// Secrets are build secrets the step may use (all optional).
	Secrets []Secret `json:"secrets,omitempty"`
	// SSH forwards the client's default SSH agent (--ssh default), when
	// it gives one, for git dependencies fetched over ssh.
	SSH bool `json:"ssh,omitempty"`
	// Emulated, when set, runs the step in another builder, the target
	// platform's under emulation, for work that cannot be done for the
	// target from the build platform (an extension compiled from source).
	// The rest of the build stays native.
	Emulated *Emulated `json:"emulated,omitempty"`
	// Probe is a file the step writes: "ok" when it did its work, else
	// why not. The compiler builds up to this step, reads the file, and
	// runs Fallback instead, on the build as it was before the step, when
	// it is not "ok".
	Probe    string `json:"probe,omitempty"`
	Fallback *Step  `json:"fallback,omitempty"`
	// Inputs, when set, isolate the step: it runs in the builder image
	// alone instead of on the build so far, sees only these paths of the
	// build (read-only, at their own paths), and what it writes under
	// Outputs joins the build. Its cache key is then the content of its
	// inputs: a change elsewhere in the build does not re-run it (a link
	// of the modules an app needs, when only the app's code changed).
	Inputs  []string `json:"inputs,omitempty"`
	Outputs []string `json:"outputs,omitempty"`
}

// Emulated is where an emulated step runs: Builder, after its Setup steps
// (a compiler installed there), sees only Dirs of the build, mounted at
// their own paths; what the step leaves in them is copied back.
type Emulated struct {
	Builder Image    `json:"builder"`
	Setup   []Step   `json:"setup,omitempty"`
	Dirs    []string `json:"dirs"`
}

// ProbeOK is the content of a probe file whose step did its work.
const ProbeOK = "ok"

// Mount makes a whole image visible, read-only, inside a step.
type Mount struct {
	// From is MountRuntime (the target's runtime image, so a step can see
	// what the runtime already has), MountFrontend (the frontend's own
	// image, whose binary runs helper subcommands in any builder) or
	// MountImage (Image, e.g. the target platform's builder, whose files
	// a native step reads: a toolchain's modules for another platform).
	From   string `json:"from"`
	Target string `json:"target"`
	// Image is the image of a MountImage mount, for its own platform.
	Image *Image `json:"image,omitempty"`
}

// Mount sources.
const (
	MountRuntime  = "runtime"
	MountFrontend = "frontend"
	MountImage    = "image"
)

// Secret is an optional build secret given to one step, as a file or an
// environment variable; its value never reaches a layer.
type Secret struct {
	ID string `json:"id"`
	// Target is the file path it is mounted at, or Env the variable it is
	// exposed as.
	Target string `json:"target,omitempty"`
	Env    string `json:"env,omitempty"`
}

// Cache is a persistent cache mount.
type Cache struct {
	ID     string `json:"id"`
	Target string `json:"target"`
	// Sharing is shared, private or locked.
	Sharing string `json:"sharing"`
}

// Artifact is a file or directory copied onto the runtime image.
type Artifact struct {
	// From is "builder" or "context".
	From string `json:"from"`
	Src  string `json:"src"`
	Dest string `json:"dest"`
	// Exclude are patterns (.dockerignore syntax) left out of the copy.
	Exclude []string `json:"exclude,omitempty"`
	// AfterStep, for an artifact from the builder, names the step after
	// which it is complete: it is copied from the builder as that step
	// left it, not as the last step did. What no later step touches (the
	// dependencies, before the sources arrive) is then the same cached
	// state on a rebuild after a source change, so BuildKit need not hash
	// its files again to find its layer unchanged.
	AfterStep string `json:"afterStep,omitempty"`
	// Layer groups artifacts: each group is one layer of the image, in the
	// order groups first appear, so what changes rarely (dependencies)
	// stays a cached layer when the app's files change.
	Layer  string `json:"layer,omitempty"`
	Origin Origin `json:"origin"`
}

// Sources of an artifact.
const (
	FromBuilder = "builder"
	FromContext = "context"
)

// Config is the produced image's config, on top of the runtime's.
type Config struct {
	Entrypoint []string `json:"entrypoint"`
	// PrependBaseEntrypoint runs Entrypoint with the runtime image's own
	// entrypoint in front: the interpreter the runtime ships, discovered
	// from its config (an interpreter the runtime image ships).
	PrependBaseEntrypoint bool     `json:"prependBaseEntrypoint,omitempty"`
	Cmd                   []string `json:"cmd,omitempty"`
	User                  string   `json:"user"`
	WorkingDir            string   `json:"workingDir"`
	// Env is added to the runtime's env, sorted NAME=value.
	Env          []string          `json:"env,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}
