module example.com/go-jq

go 1.26
