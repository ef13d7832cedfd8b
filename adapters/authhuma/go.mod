module github.com/librenz/authjwt/adapters/authhuma

go 1.26.0

require github.com/librenz/authjwt v0.1.0

require github.com/danielgtaylor/huma/v2 v2.37.2

require (
	github.com/getkin/kin-openapi v0.153.0
	github.com/go-openapi/jsonpointer v0.22.5 // indirect
	github.com/go-openapi/swag/jsonname v0.25.5 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/text v0.34.0 // indirect
)
