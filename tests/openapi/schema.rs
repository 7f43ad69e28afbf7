//! Just enough JSON Schema (2020-12, as OpenAPI 3.1 uses it) to check real responses
//! against the served description: `$ref` into the document, `type`, `enum`, `oneOf`,
//! `anyOf`, `allOf`, `properties`, `required`, `additionalProperties`, `propertyNames`,
//! `items`, numeric bounds and string lengths. `pattern` and `format` are not checked
//! (Schemathesis checks them in `scripts/schemathesis.sh`).

use serde_json::Value;

/// The OpenAPI document a schema's `$ref`s point into.
pub struct Doc<'a>(pub &'a Value);

impl Doc<'_> {
    /// Follows a local `$ref` such as `#/components/schemas/ReleaseView`.
    pub fn resolve<'v>(&'v self, value: &'v Value) -> &'v Value {
        let mut value = value;
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            let pointer = reference.trim_start_matches('#');
            value = self
                .0
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        value
    }

    /// Checks `value` against `schema`; the error names the first mismatch and where.
    pub fn validate(&self, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        let schema = self.resolve(schema);
        if let Some(types) = schema.get("type") {
            let ok = match types {
                Value::String(t) => has_type(value, t),
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|t| has_type(value, t)),
                _ => true,
            };
            if !ok {
                return Err(format!("{at}: {value} is not of type {types}"));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
        self.combinators(schema, value, at)?;
        bounds(schema, value, at)?;
        match value {
            Value::Object(map) => self.object(schema, map, at),
            Value::Array(items) => match schema.get("items") {
                Some(item) => items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, v)| self.validate(item, v, &format!("{at}[{i}]"))),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn combinators(&self, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        let list = |key: &str| schema.get(key).and_then(Value::as_array).cloned();
        if let Some(all) = list("allOf") {
            all.iter().try_for_each(|s| self.validate(s, value, at))?;
        }
        if let Some(any) = list("anyOf")
            && !any.iter().any(|s| self.validate(s, value, at).is_ok())
        {
            return Err(format!("{at}: {value} matches none of anyOf"));
        }
        if let Some(one) = list("oneOf") {
            let matches = one
                .iter()
                .filter(|s| self.validate(s, value, at).is_ok())
                .count();
            if matches != 1 {
                return Err(format!("{at}: {value} matches {matches} of oneOf, not 1"));
            }
        }
        Ok(())
    }

    fn object(
        &self,
        schema: &Value,
        map: &serde_json::Map<String, Value>,
        at: &str,
    ) -> Result<(), String> {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap_or_default();
            if !map.contains_key(name) {
                return Err(format!("{at}: required property {name:?} is missing"));
            }
        }
        for (key, v) in map {
            let here = format!("{at}.{key}");
            if let Some(names) = schema.get("propertyNames") {
                self.validate(names, &Value::String(key.clone()), &here)?;
            }
            match (
                properties.and_then(|p| p.get(key)),
                schema.get("additionalProperties"),
            ) {
                (Some(property), _) => self.validate(property, v, &here)?,
                (None, Some(Value::Bool(false))) => {
                    return Err(format!("{here}: property is not documented"));
                }
                (None, Some(extra @ Value::Object(_))) => self.validate(extra, v, &here)?,
                (None, _) => {}
            }
        }
        Ok(())
    }
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn bounds(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let limit = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(x) = value.as_f64() {
        let checks = [
            (limit("minimum"), x >= limit("minimum").unwrap_or(0.0)),
            (limit("maximum"), x <= limit("maximum").unwrap_or(0.0)),
            (
                limit("exclusiveMinimum"),
                x > limit("exclusiveMinimum").unwrap_or(0.0),
            ),
            (
                limit("exclusiveMaximum"),
                x < limit("exclusiveMaximum").unwrap_or(0.0),
            ),
        ];
        if checks.iter().any(|(bound, ok)| bound.is_some() && !ok) {
            return Err(format!("{at}: {x} is out of the bounds of {schema}"));
        }
    }
    if let Some(s) = value.as_str() {
        let chars = s.chars().count() as f64;
        if limit("minLength").is_some_and(|m| chars < m)
            || limit("maxLength").is_some_and(|m| chars > m)
        {
            return Err(format!("{at}: {s:?} has a length out of bounds"));
        }
    }
    Ok(())
}
