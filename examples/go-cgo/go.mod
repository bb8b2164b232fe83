module example.com/go-cgo

go 1.26
