package dev.agt.engine.mcp;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One sign of poisoning in a tool.
 *
 * @param code   a short stable code: {@code invisible-char}, {@code bidi-control}, {@code hidden-markup},
 *               {@code base64-run}, {@code role-override}, {@code exfiltration}, {@code secret-path},
 *               {@code concealment}, {@code duplicate-name}
 * @param field  where: {@code name}, {@code description}, or {@code schema} with a JSON pointer to the
 *               string ({@code schema#/properties/path/description})
 * @param detail what was found, for a person (matched text clipped, invisible characters as U+XXXX)
 */
public record Finding(String code, String field, String detail) {

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("code", code);
        m.put("field", field);
        m.put("detail", detail);
        return m;
    }
}
