// A cgo program: it calls into C, so the binary links libc and needs the
// distroless base image rather than static. distill detects the import "C".
package main

/*
#include <stdio.h>
#include <unistd.h>
static int uid(void) { return (int)getuid(); }
*/
import "C"

import "fmt"

func main() {
	fmt.Printf("hello from cgo, uid %d\n", int(C.uid()))
}
