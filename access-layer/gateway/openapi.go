package gateway

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

var pathParamRe = regexp.MustCompile(`:([A-Za-z]+)`)

var (
	moneyType      = reflect.TypeOf(Money{})
	moneyInputType = reflect.TypeOf(MoneyInput{})
	rawJSONType    = reflect.TypeOf(json.RawMessage{})
)

// OpenAPI returns the OpenAPI 3.0 document of every registered route, generated from the route
// table and the request and view types, in each channel's own spelling and money format. It is
// built from the same table that registers the routes, so it cannot drift from them. Each view
// and request type is one shared schema per channel (AppOrder, MpOrder, AdminOrder: a channel
// spells it its own way) under components, referenced where it is used, so that a client
// generated from the document has one type per shape. Fields that take one of a set of values
// (statuses, flows, error codes) list them as enums.
func (g *Gateway) OpenAPI() []byte {
	b := &specBuilder{schemas: map[string]any{}, names: map[string]reflect.Type{}, enums: g.enums}
	paths := map[string]map[string]any{}
	for _, r := range g.routes {
		p := pathParamRe.ReplaceAllString(r.Path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{"summary": r.Summary, "operationId": operationID(r)}
		var params []any
		for _, m := range pathParamRe.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range r.Query {
			schema := map[string]any{"type": "string"}
			switch {
			case q.Integer:
				schema = map[string]any{"type": "integer", "minimum": 1, "maximum": 100}
			case q.Boolean:
				schema = map[string]any{"type": "boolean"}
			case q.Enum != "":
				schema = b.enum(q.Enum)
			}
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": false, "description": q.Description,
				"schema": schema})
		}
		if r.Idempotent {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "The same key with the same body returns the first result; with another body it is a 409.",
				"schema":      map[string]any{"type": "string", "maxLength": 128}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.Channel != nil {
			op["tags"] = []string{r.Channel.name}
		}
		if r.Auth {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		if r.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": b.schemaOf(reflect.TypeOf(r.Request), r.Channel)}}}
		}
		responses := map[string]any{}
		if r.Response != nil && r.Channel != nil {
			responses[itoa(r.Status)] = map[string]any{"description": "success", "content": map[string]any{"application/json": map[string]any{
				"schema": envelope(r.Channel, b.schemaOf(reflect.TypeOf(r.Response), r.Channel))}}}
		} else {
			responses[itoa(r.Status)] = map[string]any{"description": "success"}
		}
		if r.Channel != nil {
			responses["default"] = map[string]any{"description": "error; codes are listed under x-error-codes",
				"content": map[string]any{"application/json": map[string]any{"schema": b.errorSchema(r.Channel)}}}
		}
		op["responses"] = responses
		paths[p][strings.ToLower(r.Method)] = op
	}
	codes := make([]any, 0, len(errorTable))
	for _, e := range errorTable {
		codes = append(codes, map[string]any{"code": e.Code, "status": e.Status, "errcode": e.Errcode})
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Atrium trade API", "version": "1.0.0",
			"description": "Buyer channels /app/v1 (camelCase, money as decimal strings) and /mp/v1 (snake_case, money in minor units named *_fee, errcode envelope); operators on /admin/v1 (camelCase, minor units)."},
		"paths": paths,
		"components": map[string]any{
			"schemas": b.schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
		"x-error-codes": codes,
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func operationID(r route) string {
	id := strings.ToLower(r.Method) + pathParamRe.ReplaceAllString(r.Path, "by_$1")
	return strings.NewReplacer("/", "_", "-", "_").Replace(id)
}

func envelope(ch *channel, data map[string]any) map[string]any {
	if ch.errcode {
		return object(map[string]any{"errcode": map[string]any{"type": "integer", "enum": []int{0}},
			"errmsg": map[string]any{"type": "string"}, "data": data}, "errcode", "errmsg", "data")
	}
	return object(map[string]any{"code": map[string]any{"type": "string", "enum": []string{"ok"}}, "data": data,
		"requestId": map[string]any{"type": "string"}}, "code", "data")
}

func object(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// specBuilder collects the component schemas of one document.
type specBuilder struct {
	schemas map[string]any
	names   map[string]reflect.Type
	enums   map[string][]string
}

func (b *specBuilder) errorSchema(ch *channel) map[string]any {
	name := componentName(ch, "Error")
	if _, ok := b.schemas[name]; !ok {
		codes := make([]string, 0, len(errorTable))
		for _, e := range errorTable {
			codes = append(codes, e.Code)
		}
		sort.Strings(codes)
		// errors: the fields at fault, when a form was checked field by field (an order's address).
		fields := map[string]any{"type": "array", "items": b.schemaOf(reflect.TypeOf(fieldErrorView{}), ch)}
		if ch.errcode {
			b.schemas[name] = object(map[string]any{"errcode": map[string]any{"type": "integer"}, "errmsg": map[string]any{"type": "string"},
				"errors": fields}, "errcode", "errmsg")
		} else {
			b.schemas[name] = object(map[string]any{"code": map[string]any{"type": "string", "enum": codes,
				"description": "the stable code (a newer trade node may add codes: read an unknown one by its HTTP status)"},
				"message": map[string]any{"type": "string"}, "errors": fields, "requestId": map[string]any{"type": "string"}}, "code", "message")
		}
	}
	return ref(name)
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// componentName is a type's schema name on a channel: the channel, then the type's name
// capitalized without a View suffix (AppOrder, MpPlaceOrderRequest).
func componentName(ch *channel, typeName string) string {
	typeName = strings.TrimSuffix(typeName, "View")
	r := []rune(typeName)
	r[0] = unicode.ToUpper(r[0])
	c := []rune(ch.name)
	c[0] = unicode.ToUpper(c[0])
	return string(c) + string(r)
}

func (b *specBuilder) enum(name string) map[string]any {
	values, ok := b.enums[name]
	if !ok || len(values) == 0 {
		return map[string]any{"type": "string"}
	}
	return map[string]any{"type": "string", "enum": values}
}

func (b *specBuilder) schemaOf(t reflect.Type, ch *channel) map[string]any {
	if ch == nil {
		ch = appChannel
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawJSONType {
		return map[string]any{"description": "JSON, as stored"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": b.schemaOf(t.Elem(), ch)}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": b.schemaOf(t.Elem(), ch)}
	case reflect.Struct:
		if t.Name() == "" {
			return b.structSchema(t, ch)
		}
		name := componentName(ch, t.Name())
		if prev, ok := b.names[name]; ok && prev != t { // a view and a wire type of the same name
			name = componentName(ch, path.Base(t.PkgPath())+"_"+t.Name())
			if prev, ok := b.names[name]; ok && prev != t {
				panic(fmt.Sprintf("gateway: types %v and %v both make schema %s", prev, t, name))
			}
		}
		if _, done := b.schemas[name]; !done {
			b.names[name] = t
			b.schemas[name] = map[string]any{} // a type that holds itself refers to its name
			b.schemas[name] = b.structSchema(t, ch)
		}
		return ref(name)
	}
	return map[string]any{}
}

func (b *specBuilder) structSchema(t reflect.Type, ch *channel) map[string]any {
	props := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Type == moneyType || f.Type == moneyInputType {
			key, _ := ch.moneyField(name, Money{Currency: "CNY"})
			if ch.money == moneyDecimal {
				props[key] = map[string]any{"type": "string", "pattern": `^\d+(\.\d+)?$`, "description": "major units, e.g. \"19.90\""}
			} else {
				props[key] = map[string]any{"type": "integer", "format": "int64", "description": "minor units, e.g. 1990"}
			}
			continue
		}
		if e := f.Tag.Get("enum"); e != "" {
			props[ch.key(name)] = b.enum(e)
			continue
		}
		props[ch.key(name)] = b.schemaOf(f.Type, ch)
	}
	return object(props)
}
