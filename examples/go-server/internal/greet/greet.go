// Package greet builds the greeting of the API.
package greet

// Message greets name, or the world.
func Message(name string) string {
	if name == "" {
		name = "world"
	}
	return "hello, " + name
}
