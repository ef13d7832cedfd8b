module github.com/librenz/authjwt/stores/redisstore

go 1.25

require github.com/librenz/authjwt v0.0.0

replace github.com/librenz/authjwt => ../..
