package gateway

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
)

var pathParamRe = regexp.MustCompile(`:([A-Za-z]+)`)

var (
	moneyType      = reflect.TypeOf(Money{})
	moneyInputType = reflect.TypeOf(MoneyInput{})
	rawJSONType    = reflect.TypeOf(json.RawMessage{})
)

// OpenAPI returns the OpenAPI 3.1 document of every registered route, generated from the route
// table and the request and view types, in each channel's own spelling and money format. It is
// built from the same table that registers the routes, so it cannot drift from them.
func (g *Gateway) OpenAPI() []byte {
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
			if q.Integer {
				schema = map[string]any{"type": "integer", "minimum": 1, "maximum": 100}
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
				"schema": schemaOf(reflect.TypeOf(r.Request), r.Channel)}}}
		}
		responses := map[string]any{}
		if r.Response != nil && r.Channel != nil {
			responses[itoa(r.Status)] = map[string]any{"description": "success", "content": map[string]any{"application/json": map[string]any{
				"schema": envelope(r.Channel, schemaOf(reflect.TypeOf(r.Response), r.Channel))}}}
		} else {
			responses[itoa(r.Status)] = map[string]any{"description": "success"}
		}
		if r.Channel != nil {
			responses["default"] = map[string]any{"description": "error; codes are listed under x-error-codes",
				"content": map[string]any{"application/json": map[string]any{"schema": errorSchema(r.Channel)}}}
		}
		op["responses"] = responses
		paths[p][strings.ToLower(r.Method)] = op
	}
	codes := make([]any, 0, len(errorTable))
	for _, e := range errorTable {
		codes = append(codes, map[string]any{"code": e.Code, "status": e.Status, "errcode": e.Errcode})
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Atrium trade API", "version": "1.0.0",
			"description": "Buyer channels /app/v1 (camelCase, money as decimal strings) and /mp/v1 (snake_case, money in minor units named *_fee, errcode envelope); operators on /admin/v1 (camelCase, minor units)."},
		"paths": paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
		"x-error-codes": codes,
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
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
		return object(map[string]any{"errcode": map[string]any{"type": "integer", "const": 0},
			"errmsg": map[string]any{"type": "string"}, "data": data})
	}
	return object(map[string]any{"code": map[string]any{"type": "string", "const": "ok"}, "data": data,
		"requestId": map[string]any{"type": "string"}})
}

func errorSchema(ch *channel) map[string]any {
	// errors: the fields at fault, when a form was checked field by field (an order's address).
	fields := map[string]any{"type": "array", "items": schemaOf(reflect.TypeOf(fieldErrorView{}), ch)}
	if ch.errcode {
		return object(map[string]any{"errcode": map[string]any{"type": "integer"}, "errmsg": map[string]any{"type": "string"},
			"errors": fields})
	}
	return object(map[string]any{"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"},
		"errors": fields, "requestId": map[string]any{"type": "string"}})
}

func object(props map[string]any) map[string]any {
	return map[string]any{"type": "object", "properties": props}
}

func schemaOf(t reflect.Type, ch *channel) map[string]any {
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
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), ch)}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), ch)}
	case reflect.Struct:
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
			props[ch.key(name)] = schemaOf(f.Type, ch)
		}
		return object(props)
	}
	return map[string]any{}
}
