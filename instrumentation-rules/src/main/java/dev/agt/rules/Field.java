package dev.agt.rules;

import java.util.List;
import java.util.Map;

/**
 * How one target field of the request is built from the call: the first of its alternatives
 * that can be evaluated (no step fails or yields null), converted as {@link As} says. With
 * {@code each}, the value is a list and every element becomes a map of its own fields. With
 * {@code fields}, the value is a map built from the same call ({@code {fields: {uri: arg0.uri}}}).
 *
 * @param sources the alternatives as written, for reports and for the compact built-in form
 */
public record Field(List<Expr> alternatives, List<String> sources, As as, Map<String, Field> each, Map<String, Field> fields) {

    public Field(List<Expr> alternatives, List<String> sources, As as, Map<String, Field> each) {
        this(alternatives, sources, as, each, null);
    }

    /** value: as found (strings, numbers, booleans, maps, lists); string: its text; json: parse a JSON text; json_text: write as JSON text. */
    public enum As {
        VALUE, STRING, JSON, JSON_TEXT
    }
}
