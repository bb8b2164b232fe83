module example.com/ws/worker

go 1.26
