// Package frontend is the thin glue between BuildKit's gateway and distill:
// it reads options, the manifest and the build context through BuildKit's
// dockerui helper, answers subrequests, resolves the plan, compiles each
// target platform and returns the (multi-platform) result. It is the one
// place that turns manifest errors into BuildKit source errors. It creates
// no ops itself.
package frontend
