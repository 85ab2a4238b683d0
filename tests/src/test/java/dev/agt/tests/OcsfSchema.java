package dev.agt.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks events against the OCSF schema as published (1.8.0, resolved from ocsf/ocsf-schema into
 * {@code ocsf/ocsf-schema-extract.json}, see its NOTICE): for the event's class and every object
 * in it, each required attribute is present (those of a profile only when the event declares the
 * profile in {@code metadata.profiles}), no attribute is one the schema does not define, each
 * value has its type's base type and range, each enumerated {@code _id} value is one of its
 * enumeration, each {@code at_least_one} / {@code just_one} constraint holds, and
 * {@code type_uid} and {@code category_uid} agree with the class.
 */
final class OcsfSchema {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final JsonNode schema;
    private final Map<String, Pattern> regexes = new java.util.HashMap<>();

    OcsfSchema() throws IOException {
        try (InputStream in = OcsfSchema.class.getResourceAsStream("ocsf/ocsf-schema-extract.json")) {
            schema = JSON.readTree(in);
        }
    }

    String version() {
        return schema.path("version").asText();
    }

    /** The problems with {@code event}, empty when it conforms. */
    List<String> problems(JsonNode event) {
        List<String> out = new ArrayList<>();
        String cls = event.path("class_uid").asText("");
        JsonNode def = schema.path("classes").path(cls);
        if (def.isMissingNode()) {
            out.add("class_uid " + cls + " is not one of the classes checked");
            return out;
        }
        Set<String> profiles = new HashSet<>();
        event.path("metadata").path("profiles").forEach(p -> profiles.add(p.asText()));
        for (String p : profiles) {
            boolean declared = false;
            for (JsonNode d : def.path("profiles")) {
                declared |= d.asText().equals(p);
            }
            if (!declared) {
                out.add("metadata.profiles names " + p + ", which class " + cls + " does not take");
            }
        }
        checkObject("", event, def, profiles, out, 0);
        long activity = event.path("activity_id").asLong(-1);
        if (event.path("type_uid").asLong() != event.path("class_uid").asLong() * 100 + activity) {
            out.add("type_uid " + event.path("type_uid") + " is not class_uid * 100 + activity_id");
        }
        if (event.path("category_uid").asInt() != def.path("category_uid").asInt()) {
            out.add("category_uid " + event.path("category_uid") + " is not class " + cls + "'s " + def.path("category_uid"));
        }
        return out;
    }

    private void checkObject(String where, JsonNode value, JsonNode def, Set<String> profiles, List<String> out, int depth) {
        JsonNode attrs = def.path("attributes");
        for (Iterator<Map.Entry<String, JsonNode>> it = attrs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> a = it.next();
            JsonNode spec = a.getValue();
            boolean inForce = spec.path("profile").isNull() || spec.path("profile").isMissingNode() || profiles.contains(spec.path("profile").asText());
            if (inForce && spec.path("requirement").asText().equals("required") && !value.has(a.getKey())) {
                out.add(where + a.getKey() + " is required");
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode spec = attrs.get(f.getKey());
            String path = where + f.getKey();
            if (spec == null) {
                out.add(path + " is not an attribute of " + (where.isEmpty() ? "the class" : "its object"));
                continue;
            }
            if (!spec.path("profile").isNull() && !spec.path("profile").isMissingNode() && !profiles.contains(spec.path("profile").asText())) {
                out.add(path + " belongs to the " + spec.path("profile").asText() + " profile, not declared in metadata.profiles");
            }
            checkValue(path, f.getValue(), spec, profiles, out, depth);
        }
        JsonNode constraints = def.path("constraints");
        for (String kind : List.of("at_least_one", "just_one")) {
            JsonNode names = constraints.path(kind);
            if (names.isArray() && !names.isEmpty()) {
                int present = 0;
                for (JsonNode n : names) {
                    present += value.has(n.asText()) ? 1 : 0;
                }
                if (present == 0 || (kind.equals("just_one") && present > 1)) {
                    out.add((where.isEmpty() ? "the event" : where) + " breaks " + kind + " of " + names);
                }
            }
        }
    }

    private void checkValue(String path, JsonNode v, JsonNode spec, Set<String> profiles, List<String> out, int depth) {
        if (spec.path("is_array").asBoolean()) {
            if (!v.isArray()) {
                out.add(path + " must be an array");
                return;
            }
            int i = 0;
            for (JsonNode each : v) {
                checkOne(path + "[" + i++ + "]", each, spec, profiles, out, depth);
            }
            return;
        }
        checkOne(path, v, spec, profiles, out, depth);
    }

    private void checkOne(String path, JsonNode v, JsonNode spec, Set<String> profiles, List<String> out, int depth) {
        String type = spec.path("type").asText();
        if (spec.path("object_type").asText().equals("object")) {
            if (!v.isObject()) { // OCSF's open object (unmapped): any members
                out.add(path + " must be an object");
            }
            return;
        }
        if (spec.has("object_type")) {
            JsonNode objDef = schema.path("objects").path(spec.path("object_type").asText());
            if (objDef.isMissingNode()) {
                out.add(path + " is a " + spec.path("object_type").asText() + ", an object this check does not hold");
            } else if (!v.isObject()) {
                out.add(path + " must be an object (" + spec.path("object_type").asText() + ")");
            } else {
                checkObject(path + ".", v, objDef, profiles, out, depth + 1);
            }
            return;
        }
        if (type.equals("object_t") || type.equals("object")) {
            if (!v.isObject()) {
                out.add(path + " must be an object");
            }
            return;
        }
        JsonNode t = schema.path("types").path(type);
        String base = t.path("base").asText(type.replace("_t", ""));
        boolean ok = switch (base) {
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber() && v.canConvertToInt();
            case "long" -> v.isIntegralNumber() && v.canConvertToLong();
            case "float" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "json" -> true;
            default -> {
                out.add(path + " has type " + type + " of base " + base + ", which this check does not know");
                yield true;
            }
        };
        if (!ok) {
            out.add(path + " must be " + base + " (" + type + "), not " + v);
            return;
        }
        if (t.path("range").isArray() && v.isNumber()) {
            long lo = t.path("range").get(0).asLong();
            long hi = t.path("range").get(1).asLong();
            if (v.asLong() < lo || v.asLong() > hi) {
                out.add(path + " " + v + " is outside " + type + "'s range " + lo + ".." + hi);
            }
        }
        if (t.path("regex").isTextual() && v.isTextual()) {
            Pattern p = regexes.computeIfAbsent(type, k -> Pattern.compile(t.path("regex").asText()));
            if (!p.matcher(v.asText()).find()) {
                out.add(path + " '" + v.asText() + "' does not match " + type);
            }
        }
        JsonNode en = spec.path("enum");
        if (en.isObject() && !en.isEmpty() && !en.has(v.asText())) {
            out.add(path + " " + v + " is not one of its enumeration " + en);
        }
    }
}
