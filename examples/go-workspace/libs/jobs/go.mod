module example.com/ws/jobs

go 1.26
