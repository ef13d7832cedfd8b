module github.com/librenz/authjwt

go 1.25.0
