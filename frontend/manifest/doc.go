// Package manifest owns the distill.yaml format: typed fields that keep
// their YAML positions, strict decoding with errors that name file:line:column
// and say how to fix the input, and the JSON Schema derived from the same
// types.
//
// It must not import BuildKit or any other package of distill: the frontend
// turns the positioned errors returned here into BuildKit source errors.
package manifest
