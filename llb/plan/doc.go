// Package plan holds the serializable build plan: for each target platform,
// the resolved builder and runtime images, the steps run in the builder, the
// artifacts copied onto the runtime and the image config. A plan is plain
// data (JSON), deterministic for the same inputs, and snapshot-tested.
//
// It imports nothing of distill: providers write plans, llb/compile reads
// them.
package plan
