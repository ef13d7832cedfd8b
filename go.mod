module github.com/librenz/authjwt

go 1.26.0
