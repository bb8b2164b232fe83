// Package compile turns one plan.Target into an llb.State and the image
// config of the produced image. Every op is named from the plan and carries
// the manifest location that caused it. It resolves images through the
// resolver it is given (the gateway client in the frontend) and reads no
// clock, environment or random source, so the same plan and inputs give the
// same LLB bytes.
package compile
