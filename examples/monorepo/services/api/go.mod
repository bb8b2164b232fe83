module example.com/monorepo/api

go 1.26
