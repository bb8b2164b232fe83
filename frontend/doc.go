// Package frontend is the thin glue between BuildKit's gateway and distill:
// it reads options, the manifest and the build context through BuildKit's
// dockerui helper, answers subrequests, resolves the plan, compiles each
// target platform and returns the (multi-platform) result. It is the one
// place that turns manifest errors into BuildKit source errors. It creates
// no ops itself.
//
// Build works the request out once (request.go) and routes it
// (router.go): dockerui's subrequests (outline.go, targets.go, lint.go),
// then the lock request (pins.go), then a build (build.go). A panic
// becomes an error naming the manifest (recover.go).
package frontend
