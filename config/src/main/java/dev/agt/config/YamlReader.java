package dev.agt.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one YAML document into {@link Node}s that remember where they were written. Jackson's
 * tree model forgets positions, so this walks the token stream itself. Duplicate keys, which
 * YAML parsers usually let the last one win silently, are problems here.
 */
public final class YamlReader {
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64)
                    .maxStringLength(1 << 20)
                    .maxDocumentLength(16L << 20)
                    .build())
            .build();

    private final String file;
    private final List<Problem> problems;

    private YamlReader(String file, List<Problem> problems) {
        this.file = file;
        this.problems = problems;
    }

    /**
     * Parses {@code text}; syntax errors and duplicate keys are added to {@code problems}.
     *
     * @return the document's root, or null when it could not be read or is empty
     */
    public static Node read(String file, String text, List<Problem> problems) {
        YamlReader r = new YamlReader(file, problems);
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return null;
            }
            Node root = r.value(p, t);
            if (p.nextToken() != null) {
                problems.add(new Problem(r.pos(p.currentTokenLocation()), "only one YAML document is allowed per file"));
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            Source.Pos at = loc == null ? new Source.Pos(file, 1, 1) : r.pos(loc);
            // the parser names the problem's own place last ("in 'reader', line 4, column 1"): point there,
            // except at the end of the file, where the unclosed thing's own place (named first) helps more
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("line (\\d+), column (\\d+)").matcher(e.getOriginalMessage());
            boolean atEnd = e.getOriginalMessage().contains("<stream end>");
            while (m.find()) {
                at = new Source.Pos(file, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
                if (atEnd) {
                    break;
                }
            }
            problems.add(new Problem(at, "YAML syntax: " + syntax(e.getOriginalMessage())));
            return null;
        } catch (IOException e) {
            problems.add(new Problem(new Source.Pos(file, 1, 1), "cannot read: " + e.getMessage()));
            return null;
        }
    }

    /**
     * The parser's message without its echo of the source: "while parsing a flow sequence" is
     * only the context; "expected ',' or ']', but got <stream end>" is the problem a person must see.
     */
    static String syntax(String msg) {
        StringBuilder b = new StringBuilder();
        for (String line : msg.split("\n")) {
            String t = line.strip();
            if (t.isEmpty() || line.startsWith(" ") || line.startsWith("\t") || t.startsWith("in 'reader'") || t.startsWith("^")) {
                continue; // source echo, caret and position lines: the position is given separately
            }
            if (b.length() > 0) {
                b.append(": ");
            }
            b.append(t);
        }
        return b.length() == 0 ? msg.strip() : b.toString();
    }

    private Node value(JsonParser p, JsonToken t) throws IOException {
        Source.Pos pos = pos(p.currentTokenLocation());
        switch (t) {
            case START_OBJECT: {
                Map<String, Node> entries = new LinkedHashMap<>();
                Map<String, Source.Pos> keys = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String name = p.currentName();
                    Source.Pos keyPos = pos(p.currentTokenLocation());
                    Node v = value(p, p.nextToken());
                    if (entries.containsKey(name)) {
                        problems.add(new Problem(keyPos, "duplicate key '" + name + "' (first at line " + keys.get(name).line() + ")"));
                    } else {
                        entries.put(name, v);
                        keys.put(name, keyPos);
                    }
                }
                return new Node.Map_(pos, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(keys));
            }
            case START_ARRAY: {
                List<Node> items = new ArrayList<>();
                for (JsonToken i = p.nextToken(); i != JsonToken.END_ARRAY; i = p.nextToken()) {
                    items.add(value(p, i));
                }
                return new Node.Seq(pos, List.copyOf(items));
            }
            case VALUE_STRING:
                return new Node.Scalar(pos, p.getText());
            case VALUE_NUMBER_INT:
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    return new Node.Scalar(pos, p.getText());
                }
                if (p.getLongValue() == 0 && p.getText().startsWith("-")) {
                    return new Node.Scalar(pos, -0.0d); // -0: kept as what it is, so a reader that refuses negative zero can
                }
                return new Node.Scalar(pos, p.getLongValue());
            case VALUE_NUMBER_FLOAT:
                return new Node.Scalar(pos, p.getDoubleValue());
            case VALUE_TRUE:
                return new Node.Scalar(pos, Boolean.TRUE);
            case VALUE_FALSE:
                return new Node.Scalar(pos, Boolean.FALSE);
            case VALUE_NULL:
                return new Node.Scalar(pos, null);
            default:
                throw new JsonProcessingException("unexpected " + t, p.currentTokenLocation()) {
                    private static final long serialVersionUID = 1L;
                };
        }
    }

    private Source.Pos pos(JsonLocation loc) {
        return new Source.Pos(file, Math.max(1, loc.getLineNr()), Math.max(1, loc.getColumnNr()));
    }
}
